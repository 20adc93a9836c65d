//! The tag browser's rows: every element of the file meta group and the
//! data set, sequences expanded, values as short text.

use crate::image::{TagEntry, MAX_VALUE_CHARS};
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::header::Header;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

/// Sequences nested deeper than this are listed without their items, so a
/// hostile file cannot make the list unbounded in depth.
const MAX_DEPTH: u32 = 16;

pub(crate) fn list(obj: &DefaultDicomObject) -> Vec<TagEntry> {
    let mut out = Vec::new();
    for e in obj.meta().to_element_iter() {
        let value = match e.value() {
            Value::Primitive(p) => primitive(e.vr(), p),
            _ => String::new(),
        };
        out.push(entry(e.tag(), e.vr(), value, 0));
    }
    data_set(obj, 0, &mut out);
    out
}

fn entry(tag: Tag, vr: VR, value: String, depth: u32) -> TagEntry {
    TagEntry {
        tag: format!("({:04X},{:04X})", tag.group(), tag.element()),
        vr: vr.to_string().into(),
        keyword: StandardDataDictionary
            .by_tag(tag)
            .map(|d| d.alias().to_string())
            .unwrap_or_default(),
        value,
        depth,
    }
}

fn data_set(obj: &InMemDicomObject, depth: u32, out: &mut Vec<TagEntry>) {
    for e in obj.iter() {
        match e.value() {
            Value::Primitive(p) => out.push(entry(e.tag(), e.vr(), primitive(e.vr(), p), depth)),
            Value::Sequence(seq) => {
                let items = seq.items();
                let n = items.len();
                let s = if n == 1 { "" } else { "s" };
                out.push(entry(e.tag(), e.vr(), format!("{n} item{s}"), depth));
                if depth < MAX_DEPTH {
                    for (i, item) in items.iter().enumerate() {
                        out.push(TagEntry {
                            tag: "(FFFE,E000)".into(),
                            vr: String::new(),
                            keyword: "Item".into(),
                            value: format!("item {}", i + 1),
                            depth: depth + 1,
                        });
                        data_set(item, depth + 1, out);
                    }
                }
            }
            Value::PixelSequence(px) => {
                let bytes: usize = px.fragments().iter().map(Vec::len).sum();
                let n = px.fragments().len();
                let s = if n == 1 { "" } else { "s" };
                out.push(entry(
                    e.tag(),
                    e.vr(),
                    format!("encapsulated: {n} fragment{s}, {bytes} bytes"),
                    depth,
                ));
            }
        }
    }
}

fn primitive(vr: VR, p: &PrimitiveValue) -> String {
    let binary = matches!(
        vr,
        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
    );
    if binary {
        let bytes = p.to_bytes();
        if bytes.len() <= 16 {
            return bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
        }
        return format!("{} bytes", bytes.len());
    }
    if p.multiplicity() > 64 {
        return format!("{} values", p.multiplicity());
    }
    let text = p.to_str();
    cut(text.trim_matches([' ', '\0']))
}

/// At most [`MAX_VALUE_CHARS`] characters, with the total when cut.
fn cut(s: &str) -> String {
    let total = s.chars().count();
    if total <= MAX_VALUE_CHARS {
        return s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
    }
    let head: String = s
        .chars()
        .take(MAX_VALUE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{head}… ({total} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_say_so() {
        let long = "x".repeat(200);
        let c = cut(&long);
        assert!(c.starts_with(&"x".repeat(MAX_VALUE_CHARS)));
        assert!(c.ends_with("… (200 characters)"), "{c}");
        assert_eq!(cut("a\nb"), "a b");
    }
}
