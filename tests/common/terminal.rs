//! What a terminal would do with the exact bytes jetfeed writes: a strict
//! scan of the raw bytes for the escape sequences jetfeed's own drawing
//! uses, then a terminal emulator (vt100) that records anything a tweet
//! could make a terminal do besides showing text.

/// Everything the emulated terminal was asked to do besides drawing text.
#[derive(Debug, Default)]
pub struct Requests {
    pub titles: Vec<String>,
    pub bells: usize,
    pub clipboard: usize,
    pub scrolls: usize,
    pub resizes: usize,
    pub unhandled: Vec<String>,
}

impl Requests {
    /// Nothing asked of the terminal but what jetfeed asks itself: its own
    /// title (`jetfeed`, `(3) jetfeed`) and mouse reports (mode 1015, which
    /// the emulator does not know).
    pub fn is_empty(&self) -> bool {
        let own_title = |t: &String| {
            t == "jetfeed"
                || t.strip_suffix(") jetfeed")
                    .and_then(|n| n.strip_prefix('('))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let mouse_mode = |u: &String| u.contains("[[1015]]");
        self.titles.iter().all(own_title)
            && self.bells == 0
            && self.clipboard == 0
            && self.scrolls == 0
            && self.resizes == 0
            && self.unhandled.iter().all(mouse_mode)
    }
}

impl vt100::Callbacks for Requests {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }
    fn visual_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }
    fn resize(&mut self, _: &mut vt100::Screen, _: (u16, u16)) {
        self.resizes += 1;
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(String::from_utf8_lossy(name).into_owned());
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles
            .push(String::from_utf8_lossy(title).into_owned());
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], _: &[u8]) {
        self.clipboard += 1;
    }
    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8]) {
        self.clipboard += 1;
    }
    fn unhandled_char(&mut self, _: &mut vt100::Screen, c: char) {
        self.unhandled.push(format!("char {c:?}"));
    }
    fn unhandled_control(&mut self, _: &mut vt100::Screen, b: u8) {
        self.unhandled.push(format!("control {b:#04x}"));
    }
    fn unhandled_escape(&mut self, _: &mut vt100::Screen, i1: Option<u8>, i2: Option<u8>, b: u8) {
        self.unhandled
            .push(format!("escape {i1:?} {i2:?} {b:#04x}"));
    }
    fn unhandled_csi(
        &mut self,
        _: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        // Styles vt100 does not model (the underline colour's reset, 59)
        // change no cell's place or text: the byte scan judges those.
        if c == 'm' && i1.is_none() {
            return;
        }
        self.unhandled
            .push(format!("CSI {i1:?} {i2:?} {params:?} {c}"));
    }
    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        self.unhandled.push(format!("OSC {params:?}"));
    }
    fn on_scroll(&mut self, _: vt100::capture::RowContents<'_>, _: bool) {
        self.scrolls += 1;
    }
}

/// How jetfeed's output is allowed to use escape sequences.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// How many full-screen clears (`ESC[2J`) jetfeed itself writes.
    pub clears: usize,
}

/// What a scan of the raw bytes found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Escape sequences of jetfeed's own drawing.
    pub own: usize,
    /// Everything else a terminal would act on, each described.
    pub foreign: Vec<String>,
}

/// Scans the raw bytes, up to where jetfeed leaves the alternate screen:
/// they are UTF-8; the only control character is ESC;
/// every escape sequence is one of the exact forms crossterm writes for
/// jetfeed (cursor moves, single SGR attributes or 256/true colours,
/// private modes jetfeed sets, its own title); no C1 control, no bidi
/// control.
pub fn scan(bytes: &[u8], allowed: Allowed) -> Scan {
    let bytes = drawing(bytes);
    let mut found = Scan::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            found.foreign.push(format!("not UTF-8: {e}"));
            // Go on with what decodes, to describe the rest.
            return scan_text(&String::from_utf8_lossy(bytes), allowed, found);
        }
    };
    scan_text(text, allowed, found)
}

fn scan_text(text: &str, allowed: Allowed, mut found: Scan) -> Scan {
    let mut clears = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let context = || {
            let end = (at + 16..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            format!("{:?}", &text[at..end])
        };
        match c {
            '\u{1b}' => {}
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                found
                    .foreign
                    .push(format!("control {c:?} at byte {at}: {}", context()));
                continue;
            }
            '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                found
                    .foreign
                    .push(format!("bidi control {c:?} at byte {at}"));
                continue;
            }
            _ => continue,
        }
        if chars.peek().map(|&(_, c)| c) == Some(']') {
            // jetfeed's own title: `jetfeed` or `(N) jetfeed`, nothing else.
            chars.next();
            let mut body = String::new();
            let ended = loop {
                match chars.next() {
                    Some((_, '\u{7}')) => break true,
                    Some((_, c)) if body.len() < 64 => body.push(c),
                    _ => break false,
                }
            };
            let title = body.strip_prefix("0;").unwrap_or("");
            let count = title
                .strip_suffix(") jetfeed")
                .and_then(|n| n.strip_prefix('('));
            if ended
                && (title == "jetfeed"
                    || count
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
            {
                found.own += 1;
            } else {
                found.foreign.push(format!(
                    "an OSC that is not jetfeed's title at byte {at}: {}",
                    context()
                ));
            }
            continue;
        }
        if chars.peek().map(|&(_, c)| c) != Some('[') {
            found.foreign.push(format!(
                "an escape that is not CSI at byte {at}: {}",
                context()
            ));
            continue;
        }
        chars.next();
        let mut params = String::new();
        let fin = loop {
            match chars.next() {
                Some((_, c)) if c.is_ascii_digit() || c == ';' || c == '?' => params.push(c),
                Some((_, c)) => break c,
                None => {
                    found.foreign.push(format!("a CSI cut short at byte {at}"));
                    return found;
                }
            }
        };
        let nums: Vec<&str> = params.trim_start_matches('?').split(';').collect();
        let ok = match fin {
            // A cursor position: row;column.
            'H' => !params.starts_with('?') && nums.len() <= 2,
            // As crossterm writes them: one attribute alone, or colours
            // (foreground, background, underline; 256-colour or RGB, or a
            // reset) together. "1;31" or a bare "31" are not its forms.
            'm' => !params.starts_with('?') && is_own_sgr(&nums),
            // The cursor shown or hidden, the alternate screen, bracketed
            // paste, mouse reports: the only modes jetfeed sets.
            'h' | 'l' => {
                params.starts_with('?')
                    && matches!(
                        nums.as_slice(),
                        ["25" | "1049" | "2004" | "1000" | "1002" | "1003" | "1015" | "1006"]
                    )
            }
            'J' if params == "2" => {
                clears += 1;
                clears <= allowed.clears
            }
            _ => false,
        };
        if ok {
            found.own += 1;
        } else {
            found.foreign.push(format!(
                "ESC[{params}{fin} at byte {at} is not jetfeed's own"
            ));
        }
    }
    found
}

/// Whether SGR parameters are in one of the forms crossterm writes.
fn is_own_sgr(nums: &[&str]) -> bool {
    const ATTRIBUTES: [&str; 22] = [
        "", "0", "1", "2", "3", "4", "5", "7", "8", "9", "21", "22", "23", "24", "25", "27", "28",
        "29", "53", "55", "51", "52",
    ];
    if let [one] = nums
        && ATTRIBUTES.contains(one)
    {
        return true;
    }
    // Otherwise colours only: 38/48/58 ;5;N or ;2;R;G;B, and their resets.
    let mut rest = nums;
    while !rest.is_empty() {
        rest = match rest {
            ["39" | "49" | "59", tail @ ..] => tail,
            ["38" | "48" | "58", "5", n, tail @ ..] if n.parse::<u8>().is_ok() => tail,
            ["38" | "48" | "58", "2", r, g, b, tail @ ..]
                if [r, g, b].iter().all(|v| v.parse::<u8>().is_ok()) =>
            {
                tail
            }
            _ => return false,
        };
    }
    true
}

/// Where jetfeed leaves the alternate screen; what follows is its plain
/// goodbye on the normal screen (a line on stderr), not drawing.
const LEAVE: &[u8] = b"\x1b[?1049l";

fn drawing(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .windows(LEAVE.len())
        .rposition(|w| w == LEAVE)
        .map_or(bytes.len(), |at| at + LEAVE.len());
    &bytes[..end]
}

/// Runs the bytes through an emulated terminal of `cols`×`rows`, up to
/// where jetfeed leaves the alternate screen (if it does): the screen it
/// drew, as it was before it quit.
pub fn emulate(bytes: &[u8], cols: u16, rows: u16) -> vt100::Parser<Requests> {
    let drawn = drawing(bytes);
    let end = drawn.len()
        - if drawn.ends_with(LEAVE) {
            LEAVE.len()
        } else {
            0
        };
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal has a size");
    let mut parser =
        vt100::Parser::new_with_callbacks(size(rows), size(cols), 0, Requests::default());
    parser.process(&bytes[..end]);
    parser
}

/// The screen's rows as text.
pub fn rows(parser: &vt100::Parser<Requests>) -> Vec<String> {
    let (_, cols) = parser.screen().size();
    parser.screen().rows(0, cols.get()).collect()
}

/// Every row of jetfeed's panes starts and ends with their border: nothing
/// was written past a border, moved, cleared or scrolled away.
pub fn borders_intact(parser: &vt100::Parser<Requests>) -> Result<(), String> {
    let screen = parser.screen();
    let (rows, cols) = screen.size();
    let (rows, cols) = (rows.get(), cols.get());
    let glyph = |r: u16, c: u16| {
        screen
            .cell(r, c)
            .map(|cell| cell.contents().to_owned())
            .unwrap_or_default()
    };
    // Every row but the status bar belongs to a bordered pane.
    for r in 0..rows - 1 {
        let (left, right) = (glyph(r, 0), glyph(r, cols - 1));
        if !matches!(left.as_str(), "╭" | "│" | "╰") || !matches!(right.as_str(), "╮" | "│" | "╯")
        {
            return Err(format!(
                "row {r} is not inside its borders: {:?}",
                screen.rows(0, cols).nth(r as usize).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// All of the above: the bytes are jetfeed's own drawing, the terminal was
/// asked for nothing else, and the panes' borders stand. Returns the
/// emulated terminal, to read what it shows.
pub fn assert_only_own_drawing(
    bytes: &[u8],
    cols: u16,
    rows: u16,
    allowed: Allowed,
) -> vt100::Parser<Requests> {
    let found = scan(bytes, allowed);
    assert!(found.foreign.is_empty(), "{:?}", found.foreign);
    let parser = emulate(bytes, cols, rows);
    assert!(
        parser.callbacks().is_empty(),
        "the terminal was asked for more than drawing: {:?}",
        parser.callbacks()
    );
    if let Err(e) = borders_intact(&parser) {
        panic!("{e}");
    }
    parser
}
