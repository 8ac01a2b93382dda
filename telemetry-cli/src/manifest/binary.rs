//! Finding the counter registry section in an executable's bytes.
//!
//! The section is looked up by the name the object format gives it
//! (`telemetry_rules::record::SECTION_*`): `telemetry_manifest` in ELF,
//! `__tmanifest` in the `__DATA` segment of Mach-O, `.tmanif` in PE images and COFF
//! objects. Each architecture of a Mach-O universal binary is read. Nothing is
//! relocated or run: the records hold no pointer.
//!
//! The bytes come from a file that may be cut short, so every section's place in the
//! file is checked against the file's length before its bytes are taken.

use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::{BinaryFormat, FileKind, Object, ObjectSection};
use telemetry_rules::record::{SECTION_ELF, SECTION_MACHO, SECTION_PE};

/// Why the bytes hold no section to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not an ELF, Mach-O or PE file or a COFF object.
    NotExecutable,
    /// They start like one but are cut short or damaged: what is wrong.
    Truncated(String),
}

/// The bytes of every counter registry section of the executable `data`: none when
/// it has no registry, one for most files, one per architecture of a universal
/// binary (or per section of an object file, which may have several).
pub fn registry_sections(data: &[u8]) -> Result<Vec<&[u8]>, Problem> {
    let kind = FileKind::parse(data).map_err(|_| Problem::NotExecutable)?;
    match kind {
        FileKind::Elf32
        | FileKind::Elf64
        | FileKind::MachO32
        | FileKind::MachO64
        | FileKind::Pe32
        | FileKind::Pe64
        | FileKind::Coff
        | FileKind::CoffBig => sections_of(data, kind_name(kind)),
        FileKind::MachOFat32 => {
            let fat = MachOFatFile32::parse(data).map_err(|e| damaged("Mach-O universal", &e))?;
            fat_sections(data, fat.arches())
        }
        FileKind::MachOFat64 => {
            let fat = MachOFatFile64::parse(data).map_err(|e| damaged("Mach-O universal", &e))?;
            fat_sections(data, fat.arches())
        }
        _ => Err(Problem::NotExecutable),
    }
}

/// The registry sections of every architecture of a Mach-O universal binary.
fn fat_sections<'data, A: FatArch>(
    data: &'data [u8],
    arches: &[A],
) -> Result<Vec<&'data [u8]>, Problem> {
    let mut sections = Vec::new();
    for arch in arches {
        let (offset, size) = arch.file_range();
        let slice = within(data, offset, size).ok_or_else(|| {
            Problem::Truncated(format!(
                "its {:?} part ends at byte {}, but the file has {} bytes",
                arch.architecture(),
                offset.saturating_add(size),
                data.len()
            ))
        })?;
        match FileKind::parse(slice) {
            Ok(FileKind::MachO32 | FileKind::MachO64) => {
                sections.extend(sections_of(slice, "Mach-O")?);
            }
            _ => {
                return Err(Problem::Truncated(format!(
                    "its {:?} part is not a Mach-O file",
                    arch.architecture()
                )));
            }
        }
    }
    Ok(sections)
}

/// The registry sections of one ELF, Mach-O, PE or COFF file (`what` names its
/// format in messages).
fn sections_of<'data>(data: &'data [u8], what: &str) -> Result<Vec<&'data [u8]>, Problem> {
    let file = object::File::parse(data).map_err(|e| damaged(what, &e))?;
    let format = file.format();
    let mut sections = Vec::new();
    for section in file.sections() {
        let Ok(name) = section.name() else {
            continue;
        };
        if !is_registry(format, name, &section) {
            continue;
        }
        if let Some((offset, size)) = section.file_range()
            && within(data, offset, size).is_none()
        {
            return Err(Problem::Truncated(format!(
                "its section {name} ends at byte {}, but the file has {} bytes",
                offset.saturating_add(size),
                data.len()
            )));
        }
        let bytes = section
            .data()
            .map_err(|e| Problem::Truncated(format!("its section {name} cannot be read: {e}")))?;
        sections.push(bytes);
    }
    Ok(sections)
}

/// True when `section`, named `name`, is where a file of `format` keeps the registry.
fn is_registry(format: BinaryFormat, name: &str, section: &object::Section<'_, '_>) -> bool {
    match format {
        BinaryFormat::Elf => name == SECTION_ELF,
        BinaryFormat::MachO => {
            let (segment, wanted) = SECTION_MACHO;
            name == wanted && matches!(section.segment_name(), Ok(Some(s)) if s == segment)
        }
        // In a COFF object, `.tmanif$suffix` sections are merged into `.tmanif` by the
        // linker.
        BinaryFormat::Pe | BinaryFormat::Coff => {
            name == SECTION_PE
                || name
                    .strip_prefix(SECTION_PE)
                    .is_some_and(|rest| rest.starts_with('$'))
        }
        _ => false,
    }
}

/// `data[offset..offset + size]`, if the file is that long.
fn within(data: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    data.get(start..end)
}

/// A file of format `what` that `object` could not parse.
fn damaged(what: &str, error: &object::Error) -> Problem {
    Problem::Truncated(format!("its {what} headers cannot be parsed: {error}"))
}

/// The name of an object format, for messages.
fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Elf32 | FileKind::Elf64 => "ELF",
        FileKind::MachO32 | FileKind::MachO64 => "Mach-O",
        FileKind::Pe32 | FileKind::Pe64 => "PE",
        _ => "COFF",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_short_files_are_not_executables() {
        assert_eq!(
            registry_sections(b"hello, world\nthis is text\n"),
            Err(Problem::NotExecutable)
        );
        assert_eq!(registry_sections(b""), Err(Problem::NotExecutable));
        assert_eq!(registry_sections(b"\x7fELF"), Err(Problem::NotExecutable));
    }

    #[test]
    fn a_cut_elf_header_is_truncated() {
        let mut data = vec![0u8; 40];
        data[..6].copy_from_slice(b"\x7fELF\x02\x01");
        assert!(matches!(
            registry_sections(&data),
            Err(Problem::Truncated(what)) if what.contains("ELF")
        ));
    }

    #[test]
    fn ranges_past_the_end_are_refused() {
        let data = [1u8, 2, 3];
        assert_eq!(within(&data, 1, 2), Some(&data[1..3]));
        assert_eq!(within(&data, 2, 2), None);
        assert_eq!(within(&data, u64::MAX, 2), None);
    }
}
