//! Drafts kept across runs: a draft not yet posted when jetfeed quits is
//! saved in the data directory and offered again on the next start, with
//! the id it was posted under, if any, so a retry is still stored once.
//! The user's place in the stream is kept the same way.

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bus::user_token;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDraft {
    pub text: String,
    /// The tweet id (and Nats-Msg-Id) it was already posted under.
    #[serde(default)]
    pub id: Option<String>,
}

/// Where `user`'s draft is kept: the first one saved, and the others
/// (`n` from 2) when several terminals of the user quit with drafts.
pub fn path(data_dir: &Path, user: &str) -> PathBuf {
    nth_path(data_dir, user, 1)
}

fn nth_path(data_dir: &Path, user: &str, n: usize) -> PathBuf {
    let token = user_token(user);
    let name = if n == 1 {
        format!("{token}.json")
    } else {
        format!("{token}.{n}.json")
    };
    data_dir.join("drafts").join(name)
}

/// Drafts one user may have waiting at once.
const MAX_SAVED_DRAFTS: usize = 100;

/// Writes `value` as JSON to `file`, readable by this user only.
fn write_private(file: &Path, value: &impl Serialize) -> io::Result<()> {
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_vec(value).map_err(io::Error::other)?;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(file)?;
    io::Write::write_all(&mut f, &json)
}

/// Writes `value` to `file` only if there is no such file: written whole
/// under a name of this process's, then linked into place, so a crash
/// leaves no half-written draft and none is ever replaced.
fn write_new(file: &Path, value: &impl Serialize) -> io::Result<()> {
    let tmp = file.with_extension(format!("writing{}", std::process::id()));
    write_private(&tmp, value)?;
    let linked = fs::hard_link(&tmp, file);
    let _ = fs::remove_file(&tmp);
    linked
}

/// The numbers of `user`'s draft files, ascending.
fn slots(data_dir: &Path, user: &str) -> Vec<usize> {
    (1..=MAX_SAVED_DRAFTS)
        .filter(|&n| nth_path(data_dir, user, n).exists())
        .collect()
}

/// Saves a draft, readable by this user only, after any other waiting (a
/// second terminal of the same user quit with one): none is overwritten,
/// and drafts come back in the order they were saved.
pub fn save(data_dir: &Path, user: &str, draft: &SavedDraft) -> io::Result<PathBuf> {
    let mut taken = slots(data_dir, user);
    if taken.last().is_some_and(|&n| n >= MAX_SAVED_DRAFTS) {
        // Drafts taken from the front and saved at the back have walked
        // to the last number: they move down to 1, 2, ..., in order.
        for (i, &n) in taken.iter().enumerate() {
            if i + 1 != n {
                let _ = fs::rename(nth_path(data_dir, user, n), nth_path(data_dir, user, i + 1));
            }
        }
        taken = slots(data_dir, user);
    }
    for n in taken.last().map_or(1, |n| n + 1)..=MAX_SAVED_DRAFTS {
        let file = nth_path(data_dir, user, n);
        match write_new(&file, draft) {
            Ok(()) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{MAX_SAVED_DRAFTS} drafts already wait"
    )))
}

/// One of `user`'s saved drafts, read; `None` if it cannot be.
fn read_draft(file: &Path) -> Option<SavedDraft> {
    serde_json::from_slice(&fs::read(file).ok()?).ok()
}

/// Takes one of `user`'s saved drafts, the first saved, if any: it is
/// removed from disk once read. A file that cannot be read is left alone.
pub fn take(data_dir: &Path, user: &str) -> Option<SavedDraft> {
    slots(data_dir, user).into_iter().find_map(|n| {
        let file = nth_path(data_dir, user, n);
        let draft = read_draft(&file)?;
        // Claimed by moving it away: two jetfeeds starting at once never
        // both take it.
        let claimed = file.with_extension(format!("taken{}", std::process::id()));
        fs::rename(&file, &claimed).ok()?;
        let _ = fs::remove_file(&claimed);
        Some(draft).filter(|d| !d.text.trim().is_empty())
    })
}

/// How many of `user`'s saved drafts wait (files that cannot be read do
/// not count).
pub fn waiting(data_dir: &Path, user: &str) -> usize {
    slots(data_dir, user)
        .into_iter()
        .filter(|&n| read_draft(&nth_path(data_dir, user, n)).is_some())
        .count()
}

/// Where the user was when jetfeed last quit, per stream: the tweet they
/// had selected, how far they had read their notifications, and the
/// oldest tweet they had not read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    #[serde(default)]
    pub selected: Option<u64>,
    #[serde(default)]
    pub read_mark: Option<u64>,
    #[serde(default)]
    pub unread_from: Option<u64>,
}

fn place_path(data_dir: &Path, user: &str, stream: &str) -> PathBuf {
    data_dir
        .join("places")
        .join(format!("{}.{}.json", user_token(user), user_token(stream)))
}

/// Saves where `user` was in `stream`, readable by this user only.
pub fn save_place(data_dir: &Path, user: &str, stream: &str, place: &Place) -> io::Result<()> {
    write_private(&place_path(data_dir, user, stream), place)
}

/// Where `user` was in `stream` when jetfeed last quit.
pub fn place(data_dir: &Path, user: &str, stream: &str) -> Option<Place> {
    let bytes = fs::read(place_path(data_dir, user, stream)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A like or unlike not yet acknowledged when jetfeed quit: its message
/// id (reused when it goes out, so the stream keeps it once) and the event
/// as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLike {
    pub msg_id: String,
    pub subject: String,
    pub payload: String,
}

fn likes_path(data_dir: &Path, user: &str, stream: &str) -> PathBuf {
    data_dir
        .join("likes")
        .join(format!("{}.{}.json", user_token(user), user_token(stream)))
}

/// Saves likes and unlikes waiting to be sent, readable by this user only.
pub fn save_likes(
    data_dir: &Path,
    user: &str,
    stream: &str,
    likes: &[SavedLike],
) -> io::Result<()> {
    let file = likes_path(data_dir, user, stream);
    if likes.is_empty() {
        return match fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    write_private(&file, &likes)
}

/// Takes the likes saved for `user` in `stream`: removed once read.
pub fn take_likes(data_dir: &Path, user: &str, stream: &str) -> Vec<SavedLike> {
    let file = likes_path(data_dir, user, stream);
    let Ok(bytes) = fs::read(&file) else {
        return Vec::new();
    };
    let _ = fs::remove_file(&file);
    serde_json::from_slice(&bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A draft never posted.
    fn draft(text: &str) -> SavedDraft {
        SavedDraft {
            text: text.into(),
            id: None,
        }
    }

    #[test]
    fn a_saved_draft_comes_back_once_with_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let draft = SavedDraft {
            text: "half a thought".into(),
            id: Some("id-1".into()),
        };
        let file = save(dir.path(), "ann", &draft).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(take(dir.path(), "bob"), None, "each user has their own");
        assert_eq!(take(dir.path(), "ann"), Some(draft));
        assert_eq!(take(dir.path(), "ann"), None, "offered once");
    }

    #[test]
    fn drafts_saved_by_two_terminals_both_come_back() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), "ann", &draft("from the first")).unwrap();
        save(dir.path(), "ann", &draft("from the second")).unwrap();
        assert_eq!(waiting(dir.path(), "ann"), 2);
        assert_eq!(take(dir.path(), "ann"), Some(draft("from the first")));
        assert_eq!(waiting(dir.path(), "ann"), 1);
        // Saved again unsent, it goes after the one still waiting.
        save(dir.path(), "ann", &draft("from the first")).unwrap();
        assert_eq!(take(dir.path(), "ann"), Some(draft("from the second")));
        assert_eq!(take(dir.path(), "ann"), Some(draft("from the first")));
        assert_eq!(take(dir.path(), "ann"), None);
    }

    #[test]
    fn drafts_taken_and_saved_again_for_ever_still_save() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), "ann", &draft("one")).unwrap();
        save(dir.path(), "ann", &draft("two")).unwrap();
        let mut order = Vec::new();
        for _ in 0..3 * MAX_SAVED_DRAFTS {
            let d = take(dir.path(), "ann").unwrap();
            order.push(d.text.clone());
            save(dir.path(), "ann", &d).unwrap();
        }
        assert_eq!(waiting(dir.path(), "ann"), 2);
        assert!(order.chunks(2).all(|p| p == ["one", "two"]), "{order:?}");
    }

    #[test]
    fn a_damaged_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "ann");
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, b"{not json").unwrap();
        assert_eq!(take(dir.path(), "ann"), None);
        assert!(file.exists(), "not deleted: nothing typed is lost");
        assert_eq!(waiting(dir.path(), "ann"), 0, "nor counted as waiting");
        // Saved beside it, a draft still comes back.
        save(dir.path(), "ann", &draft("after")).unwrap();
        assert_eq!(take(dir.path(), "ann"), Some(draft("after")));
    }
}
