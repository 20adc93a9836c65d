//! An encounter's dictations and the draft note made from one.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::inputs::EncounterRef;
use crate::scribe::DictationRef;
use crate::views::NoteView;
use crate::Result;
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::Permission;
use clinicdesk_drafting::{draft, DrugName, Layout, Medication, Problem, Style, Terminology};
use clinicdesk_store::{AudioRetention, Dictation, NoteContent, Session, Store};
use serde::{Deserialize, Serialize};

/// The code set and drug names as drafting looks them up.
pub struct StoreTerms<'a>(pub &'a Store);

impl Terminology for StoreTerms<'_> {
    fn diagnoses(&self, words: &[&str], limit: usize) -> Vec<(String, String)> {
        // A failed look-up only costs a suggestion; the draft goes on.
        self.0.icd10cm_with_words(words, limit).unwrap_or_default()
    }

    fn drug(&self, spoken: &str) -> Option<DrugName> {
        self.0
            .drug_name(spoken)
            .ok()
            .flatten()
            .map(|(name, brand)| DrugName { name, brand })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DraftFromDictationInput {
    pub dictation_id: String,
    /// The draft being written, which the dictation is added to; without
    /// one a new draft is started.
    #[serde(default)]
    pub note_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DictationDraft {
    pub note: NoteView,
    pub problems: Vec<Problem>,
    pub medications: Vec<Medication>,
    /// Without the code set or the drug names, suggestions are missing;
    /// the screen says so rather than implying there were none.
    pub code_set_loaded: bool,
    pub drug_names_loaded: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RetentionInput {
    pub retention: AudioRetention,
}

impl Desk {
    /// The logged-in user, for a dictation that runs on its own thread.
    pub fn scribe_session(&mut self) -> Result<Session> {
        let (_, session) = self.session()?;
        session.require(Permission::NoteWrite)?;
        Ok(session)
    }

    pub fn dictations(&mut self, input: &EncounterRef) -> Result<Vec<Dictation>> {
        let (store, session) = self.session()?;
        Ok(store.encounter_dictations(&session, &input.encounter_id)?)
    }

    pub fn discard_dictation(&mut self, input: &DictationRef) -> Result<Dictation> {
        let (store, session) = self.session()?;
        Ok(store.discard_dictation(&session, &input.dictation_id)?)
    }

    /// Drafts a note from a finished dictation in the physician's preferred
    /// form, added below whatever the current draft already says.
    pub fn draft_from_dictation(
        &mut self,
        input: &DraftFromDictationInput,
    ) -> Result<DictationDraft> {
        let note_format = self.preference("note-format");
        let detail = self.preference("summary-style");
        let (store, session) = self.session()?;
        let dictation = store.dictation(&session, &input.dictation_id)?;
        if dictation.transcript.trim().is_empty() {
            return Err(DeskError::invalid(
                "Nothing was heard in this dictation, so there is nothing to draft from",
            ));
        }
        let current = match input.note_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                let note = store.note(&session, id)?;
                if note.status != "draft" || note.author_id != session.user_id {
                    return Err(DeskError::invalid(
                        "Only your own unsigned draft can take a dictation; start a new note instead",
                    ));
                }
                Some(note)
            }
            None => None,
        };
        let layout_pref = match current.as_ref().map(|n| n.format) {
            Some(NoteFormat::Bullets) => "bullets",
            Some(NoteFormat::Soap) => "soap",
            None => note_format.as_str(),
        };
        let style = Style::from_preferences(layout_pref, &detail);
        let drafted = draft(&dictation.transcript, style, &StoreTerms(store));
        let format = match style.layout {
            Layout::Soap => NoteFormat::Soap,
            Layout::Bullets => NoteFormat::Bullets,
        };
        let before = current
            .as_ref()
            .map(|n| n.content.clone())
            .unwrap_or_default();
        let content = NoteContent {
            subjective: below(&before.subjective, &drafted.subjective),
            objective: below(&before.objective, &drafted.objective),
            assessment: below(&before.assessment, &drafted.assessment),
            plan: below(&before.plan, &drafted.plan),
            body: below(&before.body, &drafted.body),
        };
        let note = store.save_draft(
            &session,
            &dictation.encounter_id,
            current.as_ref().map(|n| n.id.as_str()),
            format,
            &content,
        )?;
        store.link_dictation_note(&session, &dictation.id, &note.id)?;
        Ok(DictationDraft {
            code_set_loaded: store.icd10cm_count()? > 0,
            drug_names_loaded: store.drug_name_count()? > 0,
            note: NoteView::new(store, note),
            problems: drafted.problems,
            medications: drafted.medications,
        })
    }

    pub fn audio_retention(&mut self) -> Result<AudioRetention> {
        let (store, _) = self.session()?;
        Ok(store.audio_retention()?)
    }

    pub fn set_audio_retention(&mut self, input: &RetentionInput) -> Result<AudioRetention> {
        let (store, session) = self.session()?;
        Ok(store.set_audio_retention(&session, input.retention)?)
    }

    /// Removes dictation audio the retention setting no longer keeps
    /// (at login, and by the scribe after signing).
    pub(crate) fn apply_audio_retention(&mut self) -> Result<usize> {
        let (store, _) = self.session()?;
        Ok(store.apply_audio_retention()?)
    }
}

/// `drafted` added below `existing`, nothing of either lost.
fn below(existing: &str, drafted: &str) -> String {
    match (existing.trim().is_empty(), drafted.trim().is_empty()) {
        (true, _) => drafted.to_string(),
        (false, true) => existing.to_string(),
        (false, false) => format!("{}\n\n{}", existing.trim_end(), drafted),
    }
}

#[cfg(test)]
mod tests {
    use super::below;

    #[test]
    fn a_draft_goes_below_what_is_written() {
        assert_eq!(below("", "new"), "new");
        assert_eq!(below("old\n", ""), "old\n");
        assert_eq!(below("old\n", "new"), "old\n\nnew");
    }
}
