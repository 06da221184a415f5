//! The tweet being written: an editor that works in graphemes (what a
//! reader sees as one character: `👋🏽`, `é`, `🏳️‍🌈`), and the draft's
//! posting state, including the id a retry reuses.

use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};

use crate::sanitize;

/// The longest tweet, in characters (Unicode scalar values, as the Go
/// service's database counts them).
pub const MAX_TWEET_CHARS: usize = 280;

/// The text a draft is posted as: as written, minus what can never be text
/// (`sanitize::text`) and the white space around it (blank lines included);
/// 1 to 280 characters. Every way of posting (the terminal UI, `jetfeed
/// post`, `jetfeed serve`) posts through it.
pub fn tweet_text(draft: &str) -> Result<String, String> {
    let text = sanitize::text(draft).trim().to_owned();
    let n = text.chars().count();
    if n == 0 {
        return Err("nothing to post: type a tweet first".into());
    }
    if n > MAX_TWEET_CHARS {
        return Err(format!("too long: {n}/{MAX_TWEET_CHARS} characters"));
    }
    Ok(text)
}

/// Text with a cursor that always sits between two graphemes. Every edit is
/// plain data in, plain data out: the reducer applies it, the view draws it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editor {
    text: String,
    /// A byte offset into `text`, always on a grapheme boundary.
    cursor: usize,
    /// The column a run of ↑ and ↓ aims for: where it started, kept across
    /// rows too short to reach it. Any other edit ends the run.
    goal: Option<usize>,
    /// The text and cursor before each change, the newest last, for undo
    /// (`MAX_UNDO` at most).
    undo: Vec<(String, usize)>,
    /// The last change typed a character of a word: the next one joins it,
    /// so undo takes back a word at a time.
    typing: bool,
}

/// Changes the draft can take back, at most.
const MAX_UNDO: usize = 100;
/// The text kept for undo, at most (bytes): a pasted megabyte edited a
/// hundred times is not kept a hundred times. The last change is always
/// kept.
const MAX_UNDO_BYTES: usize = 1 << 20;

/// One edit of the draft's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Left,
    Right,
    Start,
    End,
    Backspace,
    Delete,
    /// Ctrl-W: the word before the cursor, and the spaces after it.
    DeleteWord,
    /// Ctrl-U: everything before the cursor.
    DeleteToStart,
    /// Ctrl-Z: takes back the last change (typing, a word at a time).
    Undo,
    /// A line break in the draft.
    Newline,
    /// A row up or down in the pane, at the same column.
    Up,
    Down,
}

impl Editor {
    /// `text` with the cursor at its end.
    pub fn with_text(text: String) -> Self {
        let cursor = text.len();
        Self {
            text,
            cursor,
            ..Self::default()
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, as a byte offset into `text()`.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The text before the cursor.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Inserts `s` at the cursor and moves past it. Text that joins what
    /// follows into one grapheme (a skin tone, a combining mark) leaves the
    /// cursor after the joined grapheme.
    pub fn insert(&mut self, s: &str) {
        self.goal = None;
        let typing = s.chars().count() == 1 && !s.contains(char::is_whitespace);
        self.remember(typing);
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
        self.snap_forward();
    }

    /// Keeps the text as it is, for undo, before a change; `typing` joins
    /// it to the change before if that was typing too.
    fn remember(&mut self, typing: bool) {
        if !(typing && self.typing) {
            self.undo.push((self.text.clone(), self.cursor));
            let mut kept: usize = self.undo.iter().map(|(t, _)| t.len()).sum();
            while self.undo.len() > MAX_UNDO || (kept > MAX_UNDO_BYTES && self.undo.len() > 1) {
                kept -= self.undo.remove(0).0.len();
            }
        }
        self.typing = typing;
    }

    pub fn apply(&mut self, edit: Edit) {
        self.goal = None;
        let changes = !matches!(
            edit,
            Edit::Left | Edit::Right | Edit::Start | Edit::End | Edit::Up | Edit::Down | Edit::Undo
        );
        if changes && edit != Edit::Newline {
            self.remember(false);
        } else if !changes {
            // Moving ends a run of typing.
            self.typing = false;
        }
        match edit {
            Edit::Left => self.cursor = self.prev_boundary(self.cursor),
            Edit::Right => self.cursor = self.next_boundary(self.cursor),
            Edit::Start => self.cursor = 0,
            Edit::End => self.cursor = self.text.len(),
            Edit::Backspace => {
                let from = self.prev_boundary(self.cursor);
                self.remove(from, self.cursor);
            }
            Edit::Delete => {
                let to = self.next_boundary(self.cursor);
                self.remove(self.cursor, to);
            }
            Edit::DeleteWord => {
                let before = self.before_cursor();
                let mut graphemes = before.grapheme_indices(true).rev().peekable();
                let mut from = self.cursor;
                while let Some((i, _)) = graphemes.next_if(|(_, g)| is_space(g)) {
                    from = i;
                }
                while let Some((i, _)) = graphemes.next_if(|(_, g)| !is_space(g)) {
                    from = i;
                }
                self.remove(from, self.cursor);
            }
            Edit::DeleteToStart => self.remove(0, self.cursor),
            Edit::Newline => self.insert("\n"),
            Edit::Undo => {
                // Past changes that changed nothing (a Backspace at the start).
                while let Some((text, cursor)) = self.undo.pop() {
                    if text != self.text {
                        self.text = text;
                        self.cursor = cursor;
                        break;
                    }
                }
            }
            // Rows depend on the pane's width: see `apply_at`.
            Edit::Up | Edit::Down => {}
        }
    }

    /// Applies `edit` to the text as a pane `cols` wide shows it: ↑ and ↓
    /// move by its rows.
    pub fn apply_at(&mut self, edit: Edit, cols: u16) {
        match edit {
            Edit::Up | Edit::Down => {
                let layout = super::draft_layout::lay_out(&self.text, self.cursor, cols);
                let goal = self.goal.unwrap_or(layout.cursor.1);
                self.cursor = layout.vertical_to(edit == Edit::Up, goal);
                self.snap_forward();
                self.goal = Some(goal);
            }
            edit => self.apply(edit),
        }
    }

    fn remove(&mut self, from: usize, to: usize) {
        self.text.replace_range(from..to, "");
        self.cursor = from;
        // What was on either side may now be one grapheme (two regional
        // indicators, a base and a mark): stay before it.
        if !self.is_boundary(self.cursor) {
            self.cursor = self.prev_boundary(self.cursor);
        }
    }

    fn snap_forward(&mut self) {
        if !self.is_boundary(self.cursor) {
            self.cursor = self.next_boundary(self.cursor);
        }
    }

    fn is_boundary(&self, at: usize) -> bool {
        GraphemeCursor::new(at, self.text.len(), true)
            .is_boundary(&self.text, 0)
            .unwrap_or(true)
    }

    fn prev_boundary(&self, at: usize) -> usize {
        GraphemeCursor::new(at, self.text.len(), true)
            .prev_boundary(&self.text, 0)
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    fn next_boundary(&self, at: usize) -> usize {
        GraphemeCursor::new(at, self.text.len(), true)
            .next_boundary(&self.text, 0)
            .ok()
            .flatten()
            .unwrap_or(self.text.len())
    }
}

fn is_space(grapheme: &str) -> bool {
    grapheme.chars().all(char::is_whitespace)
}

/// A draft that was posted: the text as sent and the id (tweet id and
/// `Nats-Msg-Id`) it went under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub text: String,
    pub id: String,
}

/// The text being composed. While a publish of it is in flight it cannot be
/// edited; if the publish fails it stays, and a retry reuses its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    editor: Editor,
    /// The last post of this draft: a retry of exactly this text reuses
    /// its id, so the server stores the tweet once however often it is sent.
    pub attempt: Option<Attempt>,
    pub posting: Posting,
}

/// Where a posted draft is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Posting {
    /// Being written (or a post failed): editable, Enter posts.
    #[default]
    Editing,
    /// The publish of `attempt` is in flight: read-only until it settles.
    Sending,
    /// Posted while the connection was away: sent when it returns.
    Waiting,
}

impl Draft {
    /// A draft of `text`, cursor at its end, last posted under `id`.
    pub fn restored(text: String, id: Option<String>) -> Self {
        let attempt = id.and_then(|id| tweet_text(&text).ok().map(|text| Attempt { text, id }));
        Self {
            editor: Editor::with_text(text),
            attempt,
            posting: Posting::Editing,
        }
    }

    pub fn text(&self) -> &str {
        self.editor.text()
    }

    pub fn editor(&self) -> &Editor {
        &self.editor
    }

    /// Edits the text, unless a post of it is in flight. Edited text is a
    /// new tweet: it waits for Enter, even if the old text was waiting for
    /// the connection to go out.
    pub fn edit(&mut self, edit: impl FnOnce(&mut Editor)) {
        if self.is_sending() {
            return;
        }
        let before = self.editor.text().len();
        edit(&mut self.editor);
        if self.editor.text().len() != before {
            self.posting = Posting::Editing;
        }
    }

    pub fn is_sending(&self) -> bool {
        self.posting == Posting::Sending
    }

    pub fn is_waiting(&self) -> bool {
        self.posting == Posting::Waiting
    }

    /// The id this draft was last posted under.
    pub fn posted_id(&self) -> Option<&str> {
        self.attempt.as_ref().map(|a| a.id.as_str())
    }

    /// The id a post of the text as it is now must reuse: the last
    /// attempt's, when the text is still what was sent. The one rule for
    /// retries, whether now or after a restart.
    pub fn retry_id(&self) -> Option<&str> {
        let attempt = self.attempt.as_ref()?;
        let text = tweet_text(self.text()).ok()?;
        (text == attempt.text).then_some(attempt.id.as_str())
    }

    /// Characters in the draft, as the limit counts them.
    pub fn chars(&self) -> usize {
        self.text().chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn editor(text: &str) -> Editor {
        Editor::with_text(text.to_owned())
    }

    #[test]
    fn backspace_removes_a_whole_grapheme() {
        for (text, left) in [
            ("hi 👋🏽", "hi "),
            ("flag 🏳️‍🌈", "flag "),
            ("e\u{301}", ""),
            ("🇫🇷🇩🇪", "🇫🇷"),
            ("क्षत्रिय", "क्षत्रि"),
        ] {
            let mut e = editor(text);
            e.apply(Edit::Backspace);
            assert_eq!(e.text(), left, "{text}");
            assert_eq!(e.cursor(), left.len());
        }
    }

    #[test]
    fn arrows_step_over_graphemes() {
        let mut e = editor("a👋🏽b");
        e.apply(Edit::Left);
        e.apply(Edit::Left);
        assert_eq!(e.before_cursor(), "a");
        e.apply(Edit::Delete);
        assert_eq!(e.text(), "ab");
        e.apply(Edit::Right);
        e.apply(Edit::Right);
        assert_eq!(e.cursor(), 2, "stops at the end");
    }

    #[test]
    fn inserting_a_modifier_joins_the_grapheme_before() {
        let mut e = editor("👋");
        e.insert("\u{1F3FD}");
        e.apply(Edit::Backspace);
        assert_eq!(e.text(), "");
        let mut e = editor("\u{301}x");
        e.apply(Edit::Start);
        e.insert("e");
        assert_eq!(e.before_cursor(), "e\u{301}", "not inside é");
    }

    #[test]
    fn word_and_line_deletion() {
        let mut e = editor("hello big  world  ");
        e.apply(Edit::DeleteWord);
        assert_eq!(e.text(), "hello big  ");
        e.apply(Edit::DeleteWord);
        assert_eq!(e.text(), "hello ");
        e.insert("x y");
        e.apply(Edit::Left);
        e.apply(Edit::DeleteToStart);
        assert_eq!((e.text(), e.cursor()), ("y", 0));
    }

    #[test]
    fn a_retry_reuses_the_id_only_for_the_same_text() {
        let d = Draft::restored("  same  ".into(), Some("id-1".into()));
        assert_eq!(d.retry_id(), Some("id-1"), "trimmed as posted");
        let mut edited = d.clone();
        edited.editor.insert("!");
        assert_eq!(edited.retry_id(), None);
        assert_eq!(Draft::restored("x".into(), None).retry_id(), None);
    }

    #[test]
    fn a_tweet_is_stored_as_written() {
        for text in [
            "I \u{2764}\u{FE0F} NATS \u{270C}\u{FE0F}",
            "rainbow \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} flag",
            "first line\n\n  indented\tand tabbed",
            "\u{5E9}\u{5DC}\u{200F}\u{5D5}\u{5DD} \u{202E}right to left",
            "hi \u{1F44B}\u{1F3FD}",
        ] {
            assert_eq!(tweet_text(text).as_deref(), Ok(text));
        }
        assert_eq!(
            tweet_text("\n \n  two\r\nlines \n\n").as_deref(),
            Ok("two\nlines"),
            "blank lines around it go, a CR LF is a line break"
        );
        assert_eq!(tweet_text("a\u{1b}[31mb\u{7}").as_deref(), Ok("ab"));
        assert!(tweet_text(" \n\t ").is_err());
    }

    #[test]
    fn up_and_down_move_between_the_drafts_rows() {
        let mut e = editor("one\ntwo");
        e.apply(Edit::Newline);
        assert_eq!(e.text(), "one\ntwo\n");
        e.apply_at(Edit::Up, 20);
        assert_eq!(e.cursor(), 4, "the start of the line above");
        e.apply_at(Edit::Right, 20);
        e.apply_at(Edit::Up, 20);
        assert_eq!(e.cursor(), 1);
        e.apply_at(Edit::Down, 20);
        e.apply_at(Edit::Down, 20);
        e.apply_at(Edit::Down, 20);
        assert_eq!(e.cursor(), e.text().len());
    }

    #[test]
    fn undo_takes_back_a_word_a_deletion_or_a_paste_at_a_time() {
        let mut e = Editor::default();
        for c in "hello world".chars() {
            e.insert(&c.to_string());
        }
        e.apply(Edit::Undo);
        assert_eq!(e.text(), "hello ");
        e.apply(Edit::Undo);
        e.apply(Edit::Undo);
        assert_eq!((e.text(), e.cursor()), ("", 0));
        e.insert("pasted\ntext");
        e.apply(Edit::Newline);
        e.apply(Edit::DeleteToStart);
        assert_eq!(e.text(), "");
        e.apply(Edit::Undo);
        assert_eq!(e.text(), "pasted\ntext\n");
        e.apply(Edit::Undo);
        assert_eq!(e.text(), "pasted\ntext");
        // Moving between keystrokes makes them two changes.
        e.insert("a");
        e.apply(Edit::Left);
        e.insert("b");
        e.apply(Edit::Undo);
        assert_eq!(e.text(), "pasted\ntexta");
        // Nothing left to take back: nothing happens.
        for _ in 0..10 {
            e.apply(Edit::Undo);
        }
        assert_eq!(e.text(), "");
        e.insert("y");
        e.apply(Edit::Start);
        e.apply(Edit::Backspace);
        e.apply(Edit::Undo);
        assert_eq!(
            e.text(),
            "",
            "a Backspace that changed nothing is passed over"
        );
    }

    #[test]
    fn undo_keeps_a_bounded_amount_of_text() {
        let mut e = Editor::default();
        e.insert(&"word ".repeat(80_000));
        for _ in 0..10 {
            e.apply(Edit::DeleteWord);
        }
        let kept: usize = e.undo.iter().map(|(t, _)| t.len()).sum();
        assert!(kept <= MAX_UNDO_BYTES, "{kept} bytes kept");
        e.apply(Edit::Undo);
        assert_eq!(
            e.text().len(),
            400_000 - 9 * 5,
            "the last change still undone"
        );
        let mut small = Editor::default();
        for _ in 0..2 * MAX_UNDO {
            small.insert(" ");
        }
        assert_eq!(
            small.undo.len(),
            MAX_UNDO,
            "and a bounded number of changes"
        );
    }

    #[test]
    fn a_run_of_up_and_down_keeps_its_column_across_short_rows() {
        let mut e = editor(
            "a longer first line
ab
the third line",
        );
        // Column 9 of the last row, then up twice: column 9 of the first,
        // though the row between is two columns wide.
        for _ in 0.."line".len() + 1 {
            e.apply_at(Edit::Left, 40);
        }
        e.apply_at(Edit::Up, 40);
        assert_eq!(
            e.cursor(),
            "a longer first line
ab"
            .len(),
            "the short row's end"
        );
        e.apply_at(Edit::Up, 40);
        assert_eq!(e.cursor(), 9);
        e.apply_at(Edit::Down, 40);
        e.apply_at(Edit::Down, 40);
        assert_eq!(
            e.cursor(),
            "a longer first line
ab
the third"
                .len()
        );
        // Another edit ends the run: the next one starts from where it is.
        e.apply_at(Edit::Start, 40);
        e.apply_at(Edit::Down, 40);
        assert_eq!(
            e.cursor(),
            "a longer first line
"
            .len()
        );
    }

    fn any_edit() -> impl Strategy<Value = Result<String, Edit>> {
        prop_oneof![
            // Text weighted towards what joins and splits graphemes.
            prop_oneof![
                "\\PC{0,4}",
                Just("\u{1F3FD}".to_owned()),
                Just("\u{200D}".to_owned()),
                Just("\u{FE0F}".to_owned()),
                Just("\u{301}".to_owned()),
                Just("🇫".to_owned()),
                Just("👋".to_owned()),
                proptest::char::any().prop_map(String::from),
            ]
            .prop_map(Ok),
            prop_oneof![
                Just(Edit::Left),
                Just(Edit::Right),
                Just(Edit::Start),
                Just(Edit::End),
                Just(Edit::Backspace),
                Just(Edit::Delete),
                Just(Edit::DeleteWord),
                Just(Edit::DeleteToStart),
                Just(Edit::Newline),
                Just(Edit::Up),
                Just(Edit::Down),
            ]
            .prop_map(Err),
        ]
    }

    fn grapheme_starts(text: &str) -> Vec<usize> {
        text.grapheme_indices(true)
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn the_cursor_is_always_between_graphemes(edits in proptest::collection::vec(any_edit(), 0..40)) {
            let mut e = Editor::default();
            for edit in edits {
                let graphemes = e.text().graphemes(true).count();
                match edit {
                    Ok(s) => e.insert(&s),
                    Err(edit) => {
                        let at_start = e.cursor() == 0;
                        e.apply_at(edit, 7);
                        if edit == Edit::Backspace && !at_start {
                            let now = e.text().graphemes(true).count();
                            // One grapheme goes; its neighbours may then join.
                            prop_assert!(now < graphemes, "backspace removed nothing");
                        }
                    }
                }
                prop_assert!(grapheme_starts(e.text()).contains(&e.cursor()),
                    "cursor {} inside a grapheme of {:?}", e.cursor(), e.text());
            }
        }

        #[test]
        fn typing_then_backspacing_as_often_empties_the_draft(text in "\\PC{0,40}") {
            let mut e = Editor::default();
            e.insert(&text);
            for _ in 0..text.graphemes(true).count() {
                e.apply(Edit::Backspace);
            }
            prop_assert_eq!(e.text(), "");
        }
    }
}
