//! Studies on this desktop: the list, one study with its series and the
//! annotations drawn on it, and confirming whose a study is. Viewing the
//! images themselves is the [`crate::Viewer`]'s work.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::Result;
use clinicdesk_domain::Permission;
use clinicdesk_store::imaging::{LinkState, StudyDetail, StudyFilter, StudySummary};
use clinicdesk_store::{Annotation, AnnotationEdit, NewAnnotation, Session};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StudiesInput {
    /// One patient's studies, by MRN.
    pub mrn: Option<String>,
    /// Only studies waiting for someone to confirm whose they are.
    #[serde(default)]
    pub waiting: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StudyRef {
    pub study_uid: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfirmStudyInput {
    pub study_uid: String,
    pub mrn: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AnnotationRef {
    pub id: String,
}

/// A study opened in the viewer.
#[derive(Debug, Clone, Serialize)]
pub struct StudyView {
    #[serde(flatten)]
    pub detail: StudyDetail,
    pub annotations: Vec<Annotation>,
}

impl Desk {
    /// The logged-in user, for the viewer, which reads on a connection of its own.
    pub fn viewer_session(&mut self) -> Result<Session> {
        let (_, session) = self.session()?;
        if !session.can(Permission::ImagingImport) {
            session.require(Permission::ImagingRead)?;
        }
        Ok(session)
    }

    pub fn imaging_studies(&mut self, input: &StudiesInput) -> Result<Vec<StudySummary>> {
        let (store, session) = self.session()?;
        let filter = StudyFilter {
            patient_mrn: input
                .mrn
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string),
            state: input.waiting.then_some(LinkState::NeedsConfirmation),
        };
        Ok(store.studies(&session, &filter)?)
    }

    pub fn imaging_study(&mut self, input: &StudyRef) -> Result<StudyView> {
        let (store, session) = self.session()?;
        let detail = store.study(&session, &input.study_uid)?;
        let annotations = store.annotations(&session, &input.study_uid)?;
        Ok(StudyView {
            detail,
            annotations,
        })
    }

    pub fn confirm_study(&mut self, input: &ConfirmStudyInput) -> Result<StudySummary> {
        let (store, session) = self.session()?;
        if input.mrn.trim().is_empty() {
            return Err(DeskError::new(
                "invalid",
                "Enter the MRN of the patient this study belongs to",
            ));
        }
        Ok(store.confirm_study(&session, &input.study_uid, &input.mrn)?)
    }

    pub fn annotations(&mut self, input: &StudyRef) -> Result<Vec<Annotation>> {
        let (store, session) = self.session()?;
        Ok(store.annotations(&session, &input.study_uid)?)
    }

    pub fn add_annotation(&mut self, input: &NewAnnotation) -> Result<Annotation> {
        let (store, session) = self.session()?;
        Ok(store.add_annotation(&session, input)?)
    }

    pub fn edit_annotation(&mut self, input: &AnnotationEdit) -> Result<Annotation> {
        let (store, session) = self.session()?;
        Ok(store.edit_annotation(&session, input)?)
    }

    pub fn remove_annotation(&mut self, input: &AnnotationRef) -> Result<()> {
        let (store, session) = self.session()?;
        Ok(store.remove_annotation(&session, &input.id)?)
    }
}
