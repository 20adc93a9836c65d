//! What the image viewer reads and writes: a series opened for viewing
//! (audited once, then read slice by slice as the user scrolls), the
//! measurements and annotations drawn on its images, and images exported
//! to files.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, text};
use clinicdesk_domain::Permission;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// A series opened in the viewer. Only [`Store::open_series`] makes one, and
/// it audits the opening, so holding one is proof the read was recorded;
/// reading its slices one by one is then not audited again per slice.
#[derive(Debug, Clone)]
pub struct SeriesAccess {
    study_uid: String,
    series_uid: String,
    patient_id: Option<String>,
    /// SOP Instance UIDs in display order.
    instances: Vec<String>,
}

impl SeriesAccess {
    pub fn study_uid(&self) -> &str {
        &self.study_uid
    }

    pub fn series_uid(&self) -> &str {
        &self.series_uid
    }

    pub fn patient_id(&self) -> Option<&str> {
        self.patient_id.as_deref()
    }

    /// The series' instances, in the order the viewer stacks them.
    pub fn instances(&self) -> &[String] {
        &self.instances
    }
}

/// What an annotation is: a measurement or a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationKind {
    /// A line between two points, shown in mm.
    Distance,
    /// The angle at the second of three points.
    Angle,
    /// An ellipse in the box of two corner points: area, mean and spread.
    Roi,
    /// An arrow from the first point to the second, with a label.
    Arrow,
    /// A label at one point.
    Text,
}

impl AnnotationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationKind::Distance => "distance",
            AnnotationKind::Angle => "angle",
            AnnotationKind::Roi => "roi",
            AnnotationKind::Arrow => "arrow",
            AnnotationKind::Text => "text",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "distance" => AnnotationKind::Distance,
            "angle" => AnnotationKind::Angle,
            "roi" => AnnotationKind::Roi,
            "arrow" => AnnotationKind::Arrow,
            "text" => AnnotationKind::Text,
            _ => return None,
        })
    }

    /// The kind in a sentence: "an angle".
    fn noun(self) -> &'static str {
        match self {
            AnnotationKind::Distance => "a distance",
            AnnotationKind::Angle => "an angle",
            AnnotationKind::Roi => "a region of interest",
            AnnotationKind::Arrow => "an arrow",
            AnnotationKind::Text => "a text label",
        }
    }

    fn points(self) -> usize {
        match self {
            AnnotationKind::Distance | AnnotationKind::Roi | AnnotationKind::Arrow => 2,
            AnnotationKind::Angle => 3,
            AnnotationKind::Text => 1,
        }
    }

    fn needs_label(self) -> bool {
        matches!(self, AnnotationKind::Text)
    }
}

/// Labels longer than this are refused: a note belongs in the note.
pub const MAX_LABEL_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAnnotation {
    pub sop_instance_uid: String,
    #[serde(default)]
    pub frame: u32,
    pub kind: AnnotationKind,
    /// Image pixel coordinates `[column, row]`.
    pub points: Vec<[f64; 2]>,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    pub id: String,
    pub study_uid: String,
    pub series_uid: String,
    pub sop_instance_uid: String,
    pub frame: u32,
    pub kind: AnnotationKind,
    pub points: Vec<[f64; 2]>,
    pub label: String,
    pub created_by: String,
    /// The author's name, when this desktop knows the user.
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// A change to a saved annotation: its points moved, its label rewritten,
/// or both. Its kind and image stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnnotationEdit {
    pub id: String,
    #[serde(default)]
    pub points: Option<Vec<[f64; 2]>>,
    #[serde(default)]
    pub label: Option<String>,
}

/// Where an instance sits: its series, study, size and patient.
struct Placement {
    series_uid: String,
    study_uid: String,
    patient_id: Option<String>,
    rows: Option<i64>,
    columns: Option<i64>,
    frames: Option<i64>,
}

fn placement(conn: &rusqlite::Connection, sop_instance_uid: &str) -> Result<Placement> {
    conn.prepare_cached(
        "SELECT se.series_uid, s.study_uid, s.patient_id, i.rows, i.columns, i.frames
         FROM imaging_instances i
         JOIN imaging_series se ON se.id = i.series_id
         JOIN imaging_studies s ON s.id = se.study_id
         WHERE i.sop_instance_uid = ?1",
    )?
    .query_row([sop_instance_uid], |r| {
        Ok(Placement {
            series_uid: r.get(0)?,
            study_uid: r.get(1)?,
            patient_id: r.get(2)?,
            rows: r.get(3)?,
            columns: r.get(4)?,
            frames: r.get(5)?,
        })
    })
    .optional()?
    .ok_or_else(|| StoreError::not_found("stored image", sop_instance_uid))
}

/// Checks an annotation's shape against its image; the message says what to fix.
fn check(new: &NewAnnotation, at: &Placement) -> std::result::Result<(), String> {
    let want = new.kind.points();
    if new.points.len() != want {
        return Err(format!(
            "{} takes {want} point{}, not {}",
            new.kind.noun(),
            if want == 1 { "" } else { "s" },
            new.points.len()
        ));
    }
    let (w, h) = (
        at.columns.unwrap_or(i64::MAX) as f64,
        at.rows.unwrap_or(i64::MAX) as f64,
    );
    for [x, y] in &new.points {
        if !x.is_finite() || !y.is_finite() || *x < 0.0 || *y < 0.0 || *x > w || *y > h {
            return Err(format!(
                "the point ({x}, {y}) is outside the image ({w} × {h} pixels)"
            ));
        }
    }
    if let Some(frames) = at.frames {
        if i64::from(new.frame) >= frames.max(1) {
            return Err(format!(
                "frame {} does not exist; the image has {frames}",
                new.frame + 1
            ));
        }
    }
    let label = new.label.trim();
    if new.kind.needs_label() && label.is_empty() {
        return Err("a text label needs some text".into());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(format!(
            "the label is longer than {MAX_LABEL_CHARS} characters"
        ));
    }
    if label.chars().any(char::is_control) {
        return Err("the label cannot contain line breaks or control characters".into());
    }
    Ok(())
}

fn read_annotation(r: &rusqlite::Row) -> rusqlite::Result<Annotation> {
    let kind: String = r.get(5)?;
    let points: String = r.get(6)?;
    Ok(Annotation {
        id: r.get(0)?,
        study_uid: r.get(1)?,
        series_uid: r.get(2)?,
        sop_instance_uid: r.get(3)?,
        frame: r.get(4)?,
        // The table's CHECK allows only the known kinds; a row synced from
        // a newer desktop with a kind this one does not know is skipped below.
        kind: AnnotationKind::parse(&kind).unwrap_or(AnnotationKind::Text),
        points: serde_json::from_str(&points).unwrap_or_default(),
        label: r.get(7)?,
        created_by: r.get(8)?,
        created_by_name: r.get(9)?,
        created_at: r.get(10)?,
    })
}

fn annotation_by_id(conn: &rusqlite::Connection, id: &str) -> Result<Annotation> {
    conn.prepare_cached(&format!("{ANNOTATION_SQL} WHERE a.id = ?1"))?
        .query_row([id], read_annotation)
        .optional()?
        .ok_or_else(|| StoreError::not_found("annotation", id))
}

const ANNOTATION_SQL: &str =
    "SELECT a.id, a.study_uid, a.series_uid, a.sop_instance_uid, a.frame, a.kind, a.points,
            a.label, a.created_by, u.display_name, a.created_at
     FROM imaging_annotations a LEFT JOIN users u ON u.id = a.created_by";

impl Store {
    /// Opens a series for the viewer, audited once (`imaging/read-series`).
    pub fn open_series(&mut self, session: &Session, series_uid: &str) -> Result<SeriesAccess> {
        session.require(Permission::ImagingRead)?;
        let uid = series_uid.trim();
        let head: Option<(String, String, Option<String>)> = self
            .conn()
            .prepare_cached(
                "SELECT se.id, s.study_uid, s.patient_id FROM imaging_series se
                 JOIN imaging_studies s ON s.id = se.study_id WHERE se.series_uid = ?1",
            )?
            .query_row([uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (series_id, study_uid, patient_id) =
            head.ok_or_else(|| StoreError::not_found("series", uid))?;
        let instances: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT sop_instance_uid FROM imaging_instances WHERE series_id = ?1
                 ORDER BY instance_number, slice_location, sop_instance_uid",
            )?
            .query_map([&series_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.write(session, |tx| {
            let mut entry = Entry::new("imaging", "read-series")
                .record(&series_id)
                .detail(format!(
                    "series {uid} of study {study_uid}, {} images",
                    instances.len()
                ));
            if let Some(p) = &patient_id {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        Ok(SeriesAccess {
            study_uid,
            series_uid: uid.to_string(),
            patient_id,
            instances,
        })
    }

    /// The DICOM file of one instance of an opened series.
    pub fn series_file(&self, access: &SeriesAccess, sop_instance_uid: &str) -> Result<Vec<u8>> {
        if !access.instances.iter().any(|i| i == sop_instance_uid) {
            return Err(StoreError::not_found(
                "image in this series",
                sop_instance_uid,
            ));
        }
        self.conn()
            .prepare_cached(
                "SELECT f.bytes FROM imaging_instances i JOIN imaging_files f ON f.instance_id = i.id
                 WHERE i.sop_instance_uid = ?1",
            )?
            .query_row([sop_instance_uid], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::not_found("stored image", sop_instance_uid))
    }

    /// Everything drawn on a study's images, oldest first; audited.
    pub fn annotations(&mut self, session: &Session, study_uid: &str) -> Result<Vec<Annotation>> {
        session.require(Permission::ImagingRead)?;
        let uid = study_uid.trim();
        let list: Vec<Annotation> = self
            .conn()
            .prepare_cached(&format!(
                "{ANNOTATION_SQL} WHERE a.study_uid = ?1 ORDER BY a.created_at, a.id"
            ))?
            .query_map([uid], read_annotation)?
            .collect::<rusqlite::Result<_>>()?;
        let patient: Option<String> = self
            .conn()
            .query_row(
                "SELECT patient_id FROM imaging_studies WHERE study_uid = ?1",
                [uid],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        self.write(session, |tx| {
            let mut entry = Entry::new("imaging", "read-annotations")
                .detail(format!("{} annotations of study {uid}", list.len()));
            if let Some(p) = &patient {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        Ok(list)
    }

    /// Saves a measurement or annotation on a stored image; it syncs to the
    /// clinic's other desktops.
    pub fn add_annotation(&mut self, session: &Session, new: &NewAnnotation) -> Result<Annotation> {
        session.require(Permission::ImagingAnnotate)?;
        let uid = new.sop_instance_uid.trim();
        let at = placement(self.conn(), uid)?;
        check(new, &at).map_err(StoreError::Invalid)?;
        let id = new_id();
        let points = serde_json::to_string(&new.points)
            .map_err(|e| StoreError::Invalid(format!("the points cannot be saved: {e}")))?;
        let label = new.label.trim().to_string();
        self.write(session, |tx| {
            let now = tx.now();
            tx.insert(
                "imaging_annotations",
                &id,
                vec![
                    ("study_uid", text(&at.study_uid)),
                    ("series_uid", text(&at.series_uid)),
                    ("sop_instance_uid", text(uid)),
                    ("frame", int(i64::from(new.frame))),
                    ("kind", text(new.kind.as_str())),
                    ("points", text(&points)),
                    ("label", text(&label)),
                    ("created_by", text(&tx.session().user_id)),
                    ("created_at", int(now)),
                ],
            )?;
            let mut entry = Entry::new("imaging", "annotate")
                .record(&id)
                .detail(format!("{} on instance {uid}", new.kind.as_str()));
            if let Some(p) = &at.patient_id {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        annotation_by_id(self.conn(), &id)
    }

    /// Moves an annotation's points or rewrites its label; only its author
    /// may. Checked like a new one; the change syncs.
    pub fn edit_annotation(
        &mut self,
        session: &Session,
        edit: &AnnotationEdit,
    ) -> Result<Annotation> {
        session.require(Permission::ImagingAnnotate)?;
        let before = annotation_by_id(self.conn(), &edit.id)?;
        if before.created_by != session.user_id {
            return Err(StoreError::Forbidden(
                "only the person who drew an annotation can change it".into(),
            ));
        }
        let after = NewAnnotation {
            sop_instance_uid: before.sop_instance_uid.clone(),
            frame: before.frame,
            kind: before.kind,
            points: edit.points.clone().unwrap_or_else(|| before.points.clone()),
            label: edit
                .label
                .as_deref()
                .map_or_else(|| before.label.clone(), |l| l.trim().to_string()),
        };
        let at = placement(self.conn(), &before.sop_instance_uid)?;
        check(&after, &at).map_err(StoreError::Invalid)?;
        let mut fields = Vec::new();
        let mut what = Vec::new();
        if after.points != before.points {
            let points = serde_json::to_string(&after.points)
                .map_err(|e| StoreError::Invalid(format!("the points cannot be saved: {e}")))?;
            fields.push(("points", text(points)));
            what.push("moved");
        }
        if after.label != before.label {
            fields.push(("label", text(&after.label)));
            what.push("relabelled");
        }
        if fields.is_empty() {
            return Ok(before);
        }
        self.write(session, |tx| {
            tx.update("imaging_annotations", &edit.id, fields)?;
            let mut entry = Entry::new("imaging", "edit-annotation")
                .record(&edit.id)
                .detail(format!(
                    "{} {} on instance {}",
                    before.kind.as_str(),
                    what.join(" and "),
                    before.sop_instance_uid
                ));
            if let Some(p) = &at.patient_id {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        annotation_by_id(self.conn(), &edit.id)
    }

    /// Removes an annotation; only its author may. The removal syncs.
    pub fn remove_annotation(&mut self, session: &Session, id: &str) -> Result<()> {
        session.require(Permission::ImagingAnnotate)?;
        let found: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT created_by, sop_instance_uid FROM imaging_annotations WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (author, uid) = found.ok_or_else(|| StoreError::not_found("annotation", id))?;
        if author != session.user_id {
            return Err(StoreError::Forbidden(
                "only the person who drew an annotation can remove it".into(),
            ));
        }
        let patient = placement(self.conn(), &uid).ok().and_then(|p| p.patient_id);
        self.write(session, |tx| {
            tx.delete("imaging_annotations", id)?;
            let mut entry = Entry::new("imaging", "remove-annotation")
                .record(id)
                .detail(format!("on instance {uid}"));
            if let Some(p) = &patient {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })
    }

    /// Records that an image of an opened series was written to a file
    /// outside the store (`imaging/export`): PHI leaving the encrypted store.
    pub fn record_image_export(
        &mut self,
        session: &Session,
        access: &SeriesAccess,
        sop_instance_uid: &str,
        file: &str,
    ) -> Result<()> {
        session.require(Permission::ImagingRead)?;
        self.write(session, |tx| {
            let mut entry = Entry::new("imaging", "export")
                .detail(format!("instance {sop_instance_uid} to {file}"));
            if let Some(p) = access.patient_id() {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Placement {
        Placement {
            series_uid: "1.2".into(),
            study_uid: "1".into(),
            patient_id: None,
            rows: Some(512),
            columns: Some(256),
            frames: Some(1),
        }
    }

    fn new(kind: AnnotationKind, points: Vec<[f64; 2]>, label: &str) -> NewAnnotation {
        NewAnnotation {
            sop_instance_uid: "1.2.3".into(),
            frame: 0,
            kind,
            points,
            label: label.into(),
        }
    }

    #[test]
    fn shapes_are_checked_against_the_image() {
        use AnnotationKind::*;
        assert!(check(&new(Distance, vec![[0.0, 0.0], [256.0, 512.0]], ""), &at()).is_ok());
        let e = check(&new(Angle, vec![[1.0, 1.0], [2.0, 2.0]], ""), &at()).unwrap_err();
        assert_eq!(e, "an angle takes 3 points, not 2");
        let e = check(&new(Distance, vec![[1.0, 1.0], [300.0, 2.0]], ""), &at()).unwrap_err();
        assert!(e.contains("outside the image (256 × 512"), "{e}");
        let e = check(&new(Roi, vec![[f64::NAN, 1.0], [3.0, 2.0]], ""), &at()).unwrap_err();
        assert!(e.contains("outside the image"), "{e}");
        let e = check(&new(Text, vec![[1.0, 1.0]], "  "), &at()).unwrap_err();
        assert_eq!(e, "a text label needs some text");
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        assert!(check(&new(Arrow, vec![[1.0, 1.0], [2.0, 2.0]], &long), &at()).is_err());
        assert!(check(&new(Text, vec![[1.0, 1.0]], "a\nb"), &at()).is_err());
        let mut late = new(Text, vec![[1.0, 1.0]], "nodule");
        late.frame = 1;
        assert_eq!(
            check(&late, &at()).unwrap_err(),
            "frame 2 does not exist; the image has 1"
        );
    }
}
