//! Reference vocabularies the scribe drafts with: drug names as people say
//! them, and ICD-10-CM looked up by the words of a description. Neither is
//! PHI, so reads are not audited.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use clinicdesk_domain::Permission;
use rusqlite::OptionalExtension;

/// A drug name row: spoken form (lower case), generic name, brand.
pub type DrugNameRow = (String, String, bool);

/// The drug names as `scripts/fetch-code-sets.sh` writes them: spoken
/// name, generic name, brand (1 or 0), tab-separated, one a line.
pub fn parse_drug_names_tsv(text: &str) -> std::result::Result<Vec<DrugNameRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut f = line.split('\t');
        let (Some(spoken), Some(name), Some(brand), None) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(format!(
                "line {}: expected spoken name, generic name and brand (1 or 0) separated by tabs",
                i + 1
            ));
        };
        let brand = match brand.trim() {
            "1" => true,
            "0" => false,
            other => {
                return Err(format!(
                    "line {}: the brand column is \"{other}\", not 1 or 0",
                    i + 1
                ))
            }
        };
        rows.push((spoken.to_string(), name.to_string(), brand));
    }
    Ok(rows)
}

/// Lower case with single spaces, the form names are stored and looked up in.
pub fn spoken_form(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Store {
    /// Replaces the drug names (administrators).
    pub fn import_drug_names(
        &mut self,
        session: &Session,
        rows: Vec<DrugNameRow>,
        source: &str,
    ) -> Result<usize> {
        session.require(Permission::StoreAdmin)?;
        if rows.is_empty() {
            return Err(StoreError::invalid("the drug name file holds no names"));
        }
        for (spoken, name, _) in &rows {
            if spoken_form(spoken).is_empty() || name.trim().is_empty() {
                return Err(StoreError::invalid(format!(
                    "\"{spoken}\" has no generic name; the file is not a drug name list"
                )));
            }
        }
        let n = rows.len();
        self.write(session, |tx| {
            tx.conn().execute("DELETE FROM drug_names", [])?;
            {
                let mut ins = tx.conn().prepare_cached(
                    "INSERT OR REPLACE INTO drug_names (spoken, name, brand) VALUES (?1, ?2, ?3)",
                )?;
                for (spoken, name, brand) in &rows {
                    ins.execute((spoken_form(spoken), name.trim(), brand))?;
                }
            }
            tx.audit(Entry::new("codes", "import").detail(format!("drug names: {n} from {source}")))
        })?;
        Ok(n)
    }

    pub fn drug_name_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM drug_names", [], |r| r.get(0))?)
    }

    /// The generic name and brand flag of a spoken drug name.
    pub fn drug_name(&self, spoken: &str) -> Result<Option<(String, bool)>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT name, brand FROM drug_names WHERE spoken = ?1")?
            .query_row([spoken_form(spoken)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Billable codes whose description holds every word, as
    /// `(code, description)`, shortest description first.
    pub fn icd10cm_with_words(
        &self,
        words: &[&str],
        limit: usize,
    ) -> Result<Vec<(String, String)>> {
        let words: Vec<String> = words
            .iter()
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .map(|w| format!("%{}%", w.replace(['%', '_'], "")))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql =
            String::from("SELECT code, description FROM icd10cm_codes WHERE billable = 1");
        for i in 0..words.len() {
            sql.push_str(&format!(" AND lower(description) LIKE ?{}", i + 1));
        }
        sql.push_str(&format!(
            " ORDER BY length(description), code LIMIT {limit}"
        ));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let params: Vec<&dyn rusqlite::ToSql> =
            words.iter().map(|w| w as &dyn rusqlite::ToSql).collect();
        let rows = stmt
            .query_map(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drug_name_file_is_read_line_by_line() {
        let rows = parse_drug_names_tsv("tylenol\tAcetaminophen\t1\n\nlisinopril\tLisinopril\t0\n")
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ("tylenol".into(), "Acetaminophen".into(), true));
        assert!(parse_drug_names_tsv("tylenol\tAcetaminophen\tyes")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_drug_names_tsv("tylenol").is_err());
    }

    #[test]
    fn spoken_forms_are_lower_case_with_single_spaces() {
        assert_eq!(spoken_form("  Vitamin   D "), "vitamin d");
    }
}
