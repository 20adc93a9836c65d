//! Physician work: the day's list, the encounter and its notes.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::inputs::{date, AddendumInput, AppointmentRef, DraftInput, EncounterRef, NoteRef};
use crate::views::{EncounterView, NoteView};
use crate::Result;
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_store::{Appointment, Encounter, NoteContent, Session, Store};

impl Desk {
    /// The logged-in physician's visits on `date`, cancelled ones left out.
    pub fn my_day(&mut self, input: &crate::inputs::DayInput) -> Result<Vec<Appointment>> {
        let (store, session) = self.session()?;
        let Some(provider_id) = session.provider_id.clone() else {
            return Err(DeskError::new(
                "denied",
                "Your user is not linked to a provider, so there is no day list for you. Ask your administrator to link it.",
            ));
        };
        let day = match crate::inputs::filled(&input.date) {
            Some(d) => date("day", &d)?,
            None => store.zone().today(),
        };
        let view = store.calendar(&session, &provider_id, day, day)?;
        Ok(view
            .appointments
            .into_iter()
            .filter(|a| a.status != AppointmentStatus::Cancelled)
            .collect())
    }

    /// Opens (or reopens) the encounter of a checked-in visit.
    pub fn open_encounter(&mut self, input: &AppointmentRef) -> Result<EncounterView> {
        let (store, session) = self.session()?;
        let encounter = store.open_encounter(&session, &input.appointment_id)?;
        encounter_view(store, &session, encounter)
    }

    pub fn save_draft(&mut self, input: &DraftInput) -> Result<NoteView> {
        let format: NoteFormat = input.format.parse().map_err(DeskError::invalid)?;
        let content = NoteContent {
            subjective: input.content.subjective.clone(),
            objective: input.content.objective.clone(),
            assessment: input.content.assessment.clone(),
            plan: input.content.plan.clone(),
            body: input.content.body.clone(),
        };
        let (store, session) = self.session()?;
        let note_id = crate::inputs::filled(&input.note_id);
        let note = store.save_draft(
            &session,
            &input.encounter_id,
            note_id.as_deref(),
            format,
            &content,
        )?;
        Ok(NoteView::new(store, note))
    }

    pub fn sign_note(&mut self, input: &NoteRef) -> Result<NoteView> {
        let (store, session) = self.session()?;
        let note = store.sign_note(&session, &input.note_id)?;
        Ok(NoteView::new(store, note))
    }

    pub fn add_addendum(&mut self, input: &AddendumInput) -> Result<NoteView> {
        let (store, session) = self.session()?;
        let note = store.add_addendum(&session, &input.note_id, &input.body)?;
        Ok(NoteView::new(store, note))
    }

    pub fn finish_encounter(&mut self, input: &EncounterRef) -> Result<EncounterView> {
        let (store, session) = self.session()?;
        let encounter = store.finish_encounter(&session, &input.encounter_id)?;
        encounter_view(store, &session, encounter)
    }
}

fn encounter_view(
    store: &mut Store,
    session: &Session,
    encounter: Encounter,
) -> Result<EncounterView> {
    let patient = store.patient(session, &encounter.patient_id)?;
    let appointment = match &encounter.appointment_id {
        Some(id) => Some(store.appointment(session, id)?),
        None => None,
    };
    let notes = store
        .encounter_notes(session, &encounter.id)?
        .into_iter()
        .map(|n| NoteView::new(store, n))
        .collect();
    Ok(EncounterView {
        encounter,
        patient,
        appointment,
        notes,
    })
}
