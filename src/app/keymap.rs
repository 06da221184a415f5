//! Keys become actions here, before the reducer sees them: one table says
//! which key does what where, so bindings can be changed in one place.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Focus;
use super::draft::Edit;

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    SwitchFocus,
    FocusFeed,
    FocusDraft,
    ShowHelp,
    /// Post the draft, or post it again after a failure.
    Post,
    /// Type a character into the draft.
    Type(char),
    Edit(Edit),
    /// Move the selection in the feed.
    Select(Move),
    ToggleLike,
    /// Tweets' ages, or their local date and time.
    ToggleTime,
    /// The selected tweet's page.
    OpenTweet,
    /// The notifications.
    ShowNotifications,
    /// Write a search query.
    Search,
    /// Keep the search query and go back to the feed.
    KeepSearch,
    /// Back to where the view was opened from (clears a query being written).
    Back,
    /// Put the shown tweet's id on the clipboard.
    CopyId,
}

/// Where a selection moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Older,
    Newer,
    PageOlder,
    PageNewer,
    Newest,
    Oldest,
    /// The oldest tweet not read yet.
    OldestUnread,
}

impl Action {
    /// What the action does, as the help and the README say it: short
    /// enough for the help on a 40-column terminal.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::SwitchFocus => "switch draft / feed",
            Action::FocusFeed => "go to the feed",
            Action::FocusDraft => "back to the draft",
            Action::ShowHelp => "show every key",
            Action::Post => "post the draft",
            Action::Type(_) => "type",
            Action::Edit(edit) => match edit {
                Edit::Left => "cursor left",
                Edit::Right => "cursor right",
                Edit::Start => "cursor to the start",
                Edit::End => "cursor to the end",
                Edit::Backspace => "delete backwards",
                Edit::Delete => "delete forwards",
                Edit::DeleteWord => "delete a word backwards",
                Edit::DeleteToStart => "delete to the start",
                Edit::Undo => "undo",
                Edit::Newline => "a line break",
                Edit::Up => "cursor a row up",
                Edit::Down => "cursor a row down",
            },
            Action::Select(to) => match to {
                Move::Older => "select an older tweet",
                Move::Newer => "select a newer tweet",
                Move::PageOlder => "a page down",
                Move::PageNewer => "a page up",
                Move::Newest => "the newest tweet",
                Move::Oldest => "the oldest tweet loaded",
                Move::OldestUnread => "the oldest unread tweet",
            },
            Action::ToggleLike => "like or unlike",
            Action::ToggleTime => "ages or dates and times",
            Action::OpenTweet => "open the tweet",
            Action::ShowNotifications => "notifications",
            Action::Search => "search",
            Action::KeepSearch => "keep the search",
            Action::Back => "back",
            Action::CopyId => "copy its id",
        }
    }
}

impl Action {
    /// Every action a key can be bound to, by the name the config file
    /// uses for it.
    pub const NAMED: [(&'static str, Action); 33] = [
        ("quit", Action::Quit),
        ("switch-focus", Action::SwitchFocus),
        ("focus-feed", Action::FocusFeed),
        ("focus-draft", Action::FocusDraft),
        ("help", Action::ShowHelp),
        ("post", Action::Post),
        ("newline", Action::Edit(Edit::Newline)),
        ("cursor-left", Action::Edit(Edit::Left)),
        ("cursor-right", Action::Edit(Edit::Right)),
        ("cursor-up", Action::Edit(Edit::Up)),
        ("cursor-down", Action::Edit(Edit::Down)),
        ("cursor-start", Action::Edit(Edit::Start)),
        ("cursor-end", Action::Edit(Edit::End)),
        ("delete-back", Action::Edit(Edit::Backspace)),
        ("delete-forward", Action::Edit(Edit::Delete)),
        ("delete-word", Action::Edit(Edit::DeleteWord)),
        ("delete-to-start", Action::Edit(Edit::DeleteToStart)),
        ("undo", Action::Edit(Edit::Undo)),
        ("older", Action::Select(Move::Older)),
        ("newer", Action::Select(Move::Newer)),
        ("page-older", Action::Select(Move::PageOlder)),
        ("page-newer", Action::Select(Move::PageNewer)),
        ("newest", Action::Select(Move::Newest)),
        ("oldest", Action::Select(Move::Oldest)),
        ("oldest-unread", Action::Select(Move::OldestUnread)),
        ("like", Action::ToggleLike),
        ("time", Action::ToggleTime),
        ("open", Action::OpenTweet),
        ("notifications", Action::ShowNotifications),
        ("search", Action::Search),
        ("keep-search", Action::KeepSearch),
        ("back", Action::Back),
        ("copy-id", Action::CopyId),
    ];

    /// The action a config file names.
    pub fn from_name(name: &str) -> Option<Action> {
        Self::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, a)| a)
    }

    /// The name a config file uses for this action.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMED
            .iter()
            .find(|(_, a)| *a == self)
            .map(|&(n, _)| n)
    }
}

impl Action {
    /// What the action does where it is bound: moving in a tweet's page
    /// scrolls it, in the notifications moves between them.
    pub fn describe_in(self, scope: Scope) -> &'static str {
        match (scope, self) {
            (Scope::In(Focus::Tweet), Action::Select(Move::Older)) => "scroll down",
            (Scope::In(Focus::Tweet), Action::Select(Move::Newer)) => "scroll up",
            (Scope::In(Focus::Notifications), Action::Select(Move::Older)) => "next one",
            (Scope::In(Focus::Notifications), Action::Select(Move::Newer)) => "previous one",
            _ => self.describe(),
        }
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Anywhere,
    In(Focus),
}

/// One key, with the modifiers it must be pressed with (Shift is part of
/// the character, so it is never required or refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    pub const fn alt(code: KeyCode) -> Self {
        Self {
            code,
            modifiers: KeyModifiers::ALT,
        }
    }

    const fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    /// The key as people write it: `Ctrl-W`, `PgDn`, `↓`, `Space`.
    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            // Named here rather than by crossterm, whose names differ by
            // platform: the help and the README read the same everywhere.
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Delete".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => other.to_string(),
        };
        let mut label = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            label.push_str("Ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            label.push_str("Alt-");
        }
        label + &name
    }

    /// A key as people write it (what `label` writes, and the usual
    /// spellings of named keys): `q`, `Ctrl-W`, `Alt-Enter`, `PgDn`,
    /// `Down`, `F1`, `Space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => match c {
                '←' => KeyCode::Left,
                '→' => KeyCode::Right,
                '↑' => KeyCode::Up,
                '↓' => KeyCode::Down,
                // Ctrl-W is sent as w with Control, whatever the case.
                c if modifiers.contains(KeyModifiers::CONTROL) => {
                    KeyCode::Char(c.to_ascii_lowercase())
                }
                c => KeyCode::Char(c),
            },
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "shift-tab" | "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "{s:?} is no key (try q, Ctrl-W, Alt-Enter, PgDn, F1)"
                    ));
                }
            },
        };
        Ok(Key { code, modifiers })
    }

    /// Pressed exactly as bound.
    /// Whether this key, pressed in the draft or the search line with no
    /// binding taking it, types a character.
    pub fn is_typed(&self) -> bool {
        typed(self.code, self.modifiers).is_some()
    }

    fn matches(&self, key: &KeyEvent) -> bool {
        let held = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.code == key.code && self.modifiers == held
    }

    /// A named key (an arrow, Enter, Backspace ...) bound alone also
    /// answers with Ctrl or Alt held, when no binding takes that
    /// combination: Ctrl-← still moves the cursor. Characters never do:
    /// Ctrl-L is not `l`.
    fn loosely_matches(&self, key: &KeyEvent) -> bool {
        self.code == key.code && self.modifiers.is_empty() && !matches!(self.code, KeyCode::Char(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub key: Key,
    pub action: Action,
}

/// The key bindings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        use super::draft::Edit as E;
        use Action::*;
        use KeyCode as K;
        let anywhere = [
            (Key::ctrl('c'), Quit),
            (Key::plain(K::Tab), SwitchFocus),
            (Key::plain(K::BackTab), SwitchFocus),
            (Key::plain(K::F(1)), ShowHelp),
        ];
        let draft = [
            (Key::plain(K::Enter), Post),
            (Key::alt(K::Enter), Edit(E::Newline)),
            // Ctrl-J is a line feed: for terminals that send Alt-Enter as
            // Enter.
            (Key::ctrl('j'), Edit(E::Newline)),
            (Key::plain(K::Esc), FocusFeed),
            (Key::plain(K::Left), Edit(E::Left)),
            (Key::plain(K::Right), Edit(E::Right)),
            (Key::plain(K::Up), Edit(E::Up)),
            (Key::plain(K::Down), Edit(E::Down)),
            (Key::plain(K::Home), Edit(E::Start)),
            (Key::plain(K::End), Edit(E::End)),
            (Key::ctrl('a'), Edit(E::Start)),
            (Key::ctrl('e'), Edit(E::End)),
            (Key::plain(K::Backspace), Edit(E::Backspace)),
            (Key::plain(K::Delete), Edit(E::Delete)),
            (Key::ctrl('w'), Edit(E::DeleteWord)),
            (Key::ctrl('u'), Edit(E::DeleteToStart)),
            (Key::ctrl('z'), Edit(E::Undo)),
        ];
        let feed = [
            (Key::char('q'), Quit),
            (Key::char('?'), ShowHelp),
            (Key::char('j'), Select(Move::Older)),
            (Key::plain(K::Down), Select(Move::Older)),
            (Key::char('k'), Select(Move::Newer)),
            (Key::plain(K::Up), Select(Move::Newer)),
            (Key::plain(K::PageDown), Select(Move::PageOlder)),
            (Key::char(' '), Select(Move::PageOlder)),
            (Key::plain(K::PageUp), Select(Move::PageNewer)),
            (Key::char('g'), Select(Move::Newest)),
            (Key::plain(K::Home), Select(Move::Newest)),
            (Key::char('G'), Select(Move::Oldest)),
            (Key::plain(K::End), Select(Move::Oldest)),
            (Key::char('n'), Select(Move::OldestUnread)),
            (Key::char('l'), ToggleLike),
            (Key::char('t'), ToggleTime),
            (Key::plain(K::Enter), OpenTweet),
            (Key::char('N'), ShowNotifications),
            (Key::char('/'), Search),
            (Key::char('i'), FocusDraft),
            (Key::plain(K::Esc), FocusDraft),
        ];
        // A view over the feed: Esc or q goes back, j k ↓ ↑ move in it.
        let view = [
            (Key::plain(K::Esc), Back),
            (Key::char('q'), Back),
            (Key::char('j'), Select(Move::Older)),
            (Key::plain(K::Down), Select(Move::Older)),
            (Key::char('k'), Select(Move::Newer)),
            (Key::plain(K::Up), Select(Move::Newer)),
        ];
        let tweet = [
            (Key::plain(K::PageDown), Select(Move::PageOlder)),
            (Key::char(' '), Select(Move::PageOlder)),
            (Key::plain(K::PageUp), Select(Move::PageNewer)),
            (Key::char('l'), ToggleLike),
            (Key::char('y'), CopyId),
            (Key::char('t'), ToggleTime),
        ];
        let notifications = [(Key::plain(K::Enter), OpenTweet)];
        let search = [
            (Key::plain(K::Enter), KeepSearch),
            (Key::plain(K::Esc), Back),
            (Key::plain(K::Left), Edit(E::Left)),
            (Key::plain(K::Right), Edit(E::Right)),
            (Key::plain(K::Home), Edit(E::Start)),
            (Key::plain(K::End), Edit(E::End)),
            (Key::plain(K::Backspace), Edit(E::Backspace)),
            (Key::plain(K::Delete), Edit(E::Delete)),
            (Key::ctrl('w'), Edit(E::DeleteWord)),
            (Key::ctrl('u'), Edit(E::DeleteToStart)),
            (Key::ctrl('z'), Edit(E::Undo)),
        ];
        let bind = |scope| move |(key, action)| Binding { scope, key, action };
        let bindings = anywhere
            .into_iter()
            .map(bind(Scope::Anywhere))
            .chain(draft.into_iter().map(bind(Scope::In(Focus::Draft))))
            .chain(feed.into_iter().map(bind(Scope::In(Focus::Feed))))
            .chain(
                view.into_iter()
                    .chain(tweet)
                    .map(bind(Scope::In(Focus::Tweet))),
            )
            .chain(
                view.into_iter()
                    .chain(notifications)
                    .map(bind(Scope::In(Focus::Notifications))),
            )
            .chain(search.into_iter().map(bind(Scope::In(Focus::Search))))
            .collect();
        KeyMap { bindings }
    }
}

/// The character a key types in the draft or the search line, unless a
/// binding takes it: one without Ctrl or Alt.
fn typed(code: KeyCode, modifiers: KeyModifiers) -> Option<char> {
    match code {
        KeyCode::Char(c)
            if !modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// One line of the help: every key that does one thing in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    pub scope: Scope,
    pub keys: Vec<String>,
    pub what: &'static str,
}

impl Scope {
    /// Where, as the help says it.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Anywhere => "anywhere",
            Scope::In(Focus::Draft) => "draft",
            Scope::In(Focus::Feed) => "feed",
            Scope::In(Focus::Tweet) => "tweet",
            Scope::In(Focus::Notifications) => "notifications",
            Scope::In(Focus::Search) => "search",
        }
    }
}

impl KeyMap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The help, from the bindings themselves: one row per thing done in
    /// one place, in the order of the table.
    pub fn help(&self) -> Vec<HelpRow> {
        let mut rows: Vec<HelpRow> = Vec::new();
        for b in &self.bindings {
            let what = b.action.describe_in(b.scope);
            match rows
                .iter_mut()
                .find(|r| r.scope == b.scope && r.what == what)
            {
                Some(row) => row.keys.push(b.key.label()),
                None => rows.push(HelpRow {
                    scope: b.scope,
                    keys: vec![b.key.label()],
                    what,
                }),
            }
        }
        rows
    }

    /// Lines the help takes: its rows and a heading for each place.
    pub fn help_lines(&self) -> u16 {
        let rows = self.help();
        let headings = 1 + rows.windows(2).filter(|w| w[0].scope != w[1].scope).count();
        (rows.len() + headings) as u16
    }

    /// The help as a Markdown table, as the README has it.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| keys | where | does |\n| --- | --- | --- |\n");
        for row in self.help() {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                row.keys.join(" "),
                row.scope.describe(),
                row.what
            ));
        }
        out
    }

    /// Binds `action` in `scope` to `keys` instead of the keys it had
    /// there; the help lists it where it was.
    pub fn rebind(&mut self, scope: Scope, action: Action, keys: &[Key]) {
        let at = self
            .bindings
            .iter()
            .position(|b| b.scope == scope && b.action == action)
            .or_else(|| {
                self.bindings
                    .iter()
                    .rposition(|b| b.scope == scope)
                    .map(|i| i + 1)
            })
            .unwrap_or(self.bindings.len());
        let before = self.bindings[..at]
            .iter()
            .filter(|b| !(b.scope == scope && b.action == action))
            .count();
        self.bindings
            .retain(|b| !(b.scope == scope && b.action == action));
        let new = keys.iter().map(|&key| Binding { scope, key, action });
        self.bindings.splice(before..before, new);
    }

    /// A key bound to `action` in `scope` that another binding there (or
    /// anywhere, or there when `scope` is anywhere) also takes, with that
    /// binding: one of the two would never be done.
    pub fn clash(&self, scope: Scope, action: Action) -> Option<(Key, Binding)> {
        let overlaps =
            |other: Scope| other == scope || other == Scope::Anywhere || scope == Scope::Anywhere;
        self.bindings
            .iter()
            .filter(|b| b.scope == scope && b.action == action)
            .find_map(|mine| {
                let other = self
                    .bindings
                    .iter()
                    .find(|b| b.key == mine.key && b.action != action && overlaps(b.scope))?;
                Some((mine.key, *other))
            })
    }

    /// What `key` does whatever has the focus, if anything.
    pub fn anywhere(&self, key: &KeyEvent) -> Option<Action> {
        self.find(|b| b.scope == Scope::Anywhere, key)
    }

    /// The binding in scope that `key` presses exactly, else one it
    /// presses loosely.
    fn find(&self, in_scope: impl Fn(&Binding) -> bool, key: &KeyEvent) -> Option<Action> {
        let scoped = || self.bindings.iter().filter(|b| in_scope(b));
        scoped()
            .find(|b| b.key.matches(key))
            .or_else(|| scoped().find(|b| b.key.loosely_matches(key)))
            .map(|b| b.action)
    }

    /// What `key` does with `focus` on the keyboard, if anything. In the
    /// draft, a character no binding takes is typed.
    pub fn action(&self, focus: Focus, key: &KeyEvent) -> Option<Action> {
        let bound = self.find(
            |b| b.scope == Scope::Anywhere || b.scope == Scope::In(focus),
            key,
        );
        // In the draft and the search line, a character no binding takes
        // is typed.
        if bound.is_some() || !matches!(focus, Focus::Draft | Focus::Search) {
            return bound;
        }
        typed(key.code, key.modifiers).map(Action::Type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn no_key_does_two_things_in_one_place_by_default() {
        let keys = KeyMap::default();
        for b in keys.bindings() {
            assert_eq!(keys.clash(b.scope, b.action), None, "{b:?}");
        }
    }

    #[test]
    fn the_same_key_means_different_things_in_each_pane() {
        let keys = KeyMap::default();
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(keys.action(Focus::Draft, &q), Some(Action::Type('q')));
        assert_eq!(keys.action(Focus::Feed, &q), Some(Action::Quit));
        let esc = press(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(keys.action(Focus::Draft, &esc), Some(Action::FocusFeed));
        assert_eq!(keys.action(Focus::Feed, &esc), Some(Action::FocusDraft));
    }

    #[test]
    fn shift_is_part_of_the_character_and_ctrl_is_not() {
        let keys = KeyMap::default();
        let big_g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            keys.action(Focus::Feed, &big_g),
            Some(Action::Select(Move::Oldest))
        );
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(keys.action(Focus::Draft, &ctrl_c), Some(Action::Quit));
        let ctrl_x = press(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(keys.action(Focus::Draft, &ctrl_x), None, "not typed");
        let ctrl_l = press(KeyCode::Char('l'), KeyModifiers::CONTROL);
        assert_eq!(keys.action(Focus::Feed, &ctrl_l), None, "not a like");
        let alt_x = press(KeyCode::Char('x'), KeyModifiers::ALT);
        assert_eq!(keys.action(Focus::Draft, &alt_x), None, "not typed");
    }

    #[test]
    fn keys_read_back_as_the_help_writes_them() {
        for b in KeyMap::default().bindings() {
            assert_eq!(Key::parse(&b.key.label()), Ok(b.key), "{}", b.key.label());
        }
        assert_eq!(Key::parse("ctrl-W"), Ok(Key::ctrl('w')));
        assert_eq!(Key::parse("Down"), Ok(Key::plain(KeyCode::Down)));
        assert_eq!(Key::parse("F1"), Ok(Key::plain(KeyCode::F(1))));
        assert_eq!(Key::parse("-"), Ok(Key::char('-')));
        for bad in ["", "Ctrl-", "Hyper-x", "F13", "ab"] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_bound_action_has_a_name() {
        for b in KeyMap::default().bindings() {
            let name = b.action.name().unwrap();
            assert_eq!(Action::from_name(name), Some(b.action));
        }
    }

    #[test]
    fn a_rebound_action_answers_only_its_new_keys() {
        let mut keys = KeyMap::default();
        let like = Action::ToggleLike;
        keys.rebind(
            Scope::In(Focus::Feed),
            like,
            &[Key::char('f'), Key::char('L')],
        );
        let press_char = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(keys.action(Focus::Feed, &press_char('f')), Some(like));
        assert_eq!(keys.action(Focus::Feed, &press_char('L')), Some(like));
        assert_eq!(keys.action(Focus::Feed, &press_char('l')), None);
        let help = keys.help();
        let row = help.iter().find(|r| r.what == like.describe()).unwrap();
        assert_eq!(row.keys, ["f", "L"]);
    }

    #[test]
    fn named_keys_answer_with_modifiers_held_unless_bound_so() {
        let mut keys = KeyMap::default();
        let ctrl_left = press(KeyCode::Left, KeyModifiers::CONTROL);
        assert_eq!(
            keys.action(Focus::Draft, &ctrl_left),
            Some(Action::Edit(Edit::Left))
        );
        // A binding for the combination itself wins, wherever it is listed.
        keys.bindings.push(Binding {
            scope: Scope::In(Focus::Draft),
            key: Key {
                code: KeyCode::Left,
                modifiers: KeyModifiers::CONTROL,
            },
            action: Action::Edit(Edit::Start),
        });
        assert_eq!(
            keys.action(Focus::Draft, &ctrl_left),
            Some(Action::Edit(Edit::Start))
        );
    }
}
