//! The feed pane: one block of rows per tweet, newest first. Only the tweets
//! that fit on screen are wrapped and drawn, whatever the feed's length.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::theme;
use crate::app::geometry::{self, GUTTER};
use crate::app::glyphs;
use crate::app::{App, Focus, TimeFormat};
use crate::feed::Tweet;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let p = theme::of(app);
    let focused = matches!(app.focus, Focus::Feed | Focus::Search);
    let mut block = Block::bordered()
        .border_type(p.border_type(focused))
        .border_style(p.border(focused))
        .title(Line::from(format!(" {} ", app.stream)).style(p.author));
    let search = app.search.as_ref().filter(|s| !s.is_empty());
    if let Some(s) = search {
        let query = glyphs::display(s.query.text());
        block = block.title(Line::from(format!(" /{query} ")).style(p.new_mark));
    }
    let new = app.feed.new_count();
    if app.loading {
        block = block.title(Line::from(" loading… ").right_aligned().style(p.warn));
    } else if let Some(progress) = search.and_then(|_| progress(app)) {
        block = block.title(
            Line::from(format!(" {progress} "))
                .right_aligned()
                .style(p.dim),
        );
    } else if !app.feed.is_top_loaded() {
        // Read far below the newest, which were let go: they load on the
        // way back up.
        let newer = thousands(app.feed.newer_not_loaded());
        block = block.title(
            Line::from(format!(" ↑ {newer} newer "))
                .right_aligned()
                .style(p.new_mark),
        );
    } else if new > 0 {
        // Scrolled away from the newest, the new tweets are above.
        let above = if app.selected_index().is_some_and(|i| i > 0) {
            "↑ "
        } else {
            ""
        };
        block = block.title(
            Line::from(format!(" {above}{new} new "))
                .right_aligned()
                .style(p.new_mark),
        );
    } else if let Some(above) = above_the_pane(app).filter(|&n| n > 0) {
        // Scrolled down: newer tweets (or matches), read ones, are above.
        let more = if above >= ABOVE_COUNTED { "+" } else { "" };
        block = block.title(
            Line::from(format!(" ↑ {}{more} above ", thousands(above as u64)))
                .right_aligned()
                .style(p.dim),
        );
    }
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    if app.feed.is_empty() {
        let hint = if app.loading {
            "Loading the feed…"
        } else if app.loading_older {
            // The newest events hold no tweet (a flood of likes, say).
            "No tweets among the newest events; reading older ones…"
        } else if !app.feed.is_complete() {
            "No tweets among the newest events. Tab, then j, reads older ones."
        } else {
            "No tweets yet. Write one below and press Enter."
        };
        Paragraph::new(hint)
            .style(p.dim)
            .alignment(Alignment::Center)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(inner, buf);
        return;
    }
    let cols = inner.width.saturating_sub(GUTTER);
    let selected = app.selected_index();
    let mut y = inner.y;
    let bottom = inner.bottom();
    // A search's non-matches are never looked at: its matches are known.
    let mut next = app.shown_from(app.top_index(), 1);
    while y < bottom {
        let Some((index, tweet)) = next.and_then(|i| Some((i, app.feed.newest(i)?))) else {
            break;
        };
        let is_sel = selected == Some(index);
        let bar = match (is_sel, focused) {
            (true, true) => Span::styled("▌ ", p.accent),
            (true, false) => Span::styled("▌ ", p.dim),
            _ => Span::raw("  "),
        };
        let mut rows = vec![header(
            app,
            tweet,
            inner.width.saturating_sub(GUTTER),
            is_sel,
        )];
        let text_style = if is_sel && focused {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        rows.extend(
            geometry::text_lines(tweet, cols)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, text_style))),
        );
        for row in rows {
            if y >= bottom {
                break;
            }
            let line_area = Rect::new(inner.x, y, inner.width, 1);
            let mut spans = vec![bar.clone()];
            spans.extend(row.spans);
            Line::from(spans).render(line_area, buf);
            y += 1;
        }
        y += 1; // separator
        next = app.shown_from(index + 1, 1);
    }
    if y < bottom && app.loading_older {
        let hint = Line::from(Span::styled("  loading older tweets…", p.dim));
        hint.render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

/// How much of the stream a search has read: `searched 120,000 of
/// 1,000,000 events`, while it still reads.
pub fn progress(app: &App) -> Option<String> {
    if app.feed.is_complete() {
        return None;
    }
    let last = app.feed.last_seq();
    let searched = last.saturating_sub(app.feed.first_seq()) + 1;
    let total = app.stream_messages.unwrap_or(last).max(searched);
    Some(format!(
        "searched {} of {} events",
        thousands(searched),
        thousands(total)
    ))
}

/// A search's matches above the pane are counted up to this many a frame.
const ABOVE_COUNTED: usize = 10_000;

/// How many of the tweets the feed shows are above the pane: all loaded
/// ones, or a search's matches (`ABOVE_COUNTED` at most).
fn above_the_pane(app: &App) -> Option<usize> {
    let top = app.feed.seq_at(app.top_index())?;
    Some(match app.search.as_ref().filter(|s| !s.is_empty()) {
        Some(search) => search.hits_above(top, ABOVE_COUNTED),
        None => app.top_index(),
    })
}

/// A count as the screen writes it: `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `author · 5m · new` on the left, `♥ 3` on the right.
fn header(app: &App, tweet: &Tweet, cols: u16, selected: bool) -> Line<'static> {
    let p = theme::of(app);
    let cols = usize::from(cols);
    let likes = tweet.likes();
    let liked = tweet.liked_by(&app.user);
    let pending = if app.like_pending(&tweet.id) {
        "…"
    } else {
        ""
    };
    let heart = format!("{} {likes}{pending}", if liked { '♥' } else { '♡' });
    let heart_style = if liked { p.liked } else { p.dim };
    let when = match app.time {
        TimeFormat::Relative => age(app.now, tweet.date),
        TimeFormat::Absolute => local_time(tweet.date),
    };
    let mut meta = format!(" · {when}");
    if tweet.new {
        meta.push_str(" · ");
    }
    let new_tag = if tweet.new { "new" } else { "" };
    let right_w = geometry::width(&heart) + 1;
    let meta_w = geometry::width(&meta) + new_tag.len();
    let author_room = cols.saturating_sub(right_w + meta_w).max(cols.min(6));
    let author = if tweet.author.is_empty() {
        "anonymous"
    } else {
        tweet.author.as_str()
    };
    let author = geometry::ellipsize(&glyphs::display(author), author_room);
    let mut author_style = p.author;
    if selected {
        author_style = author_style.add_modifier(Modifier::UNDERLINED);
    }
    let left_w = geometry::width(&author) + meta_w;
    let (meta, new_tag) = if left_w + right_w > cols {
        (String::new(), "")
    } else {
        (meta, new_tag)
    };
    let used = geometry::width(&author) + geometry::width(&meta) + new_tag.len();
    let pad = cols.saturating_sub(used + geometry::width(&heart));
    Line::from(vec![
        Span::styled(author, author_style),
        Span::styled(meta, p.dim),
        Span::styled(new_tag, p.new_mark),
        Span::raw(" ".repeat(pad)),
        Span::styled(heart, heart_style),
    ])
}

/// How long ago `date` was, in the fewest characters: `now`, `42s`, `5m`,
/// `3h`, `2d`, then the date itself.
/// The local date and time, to the minute: `2024-06-01 14:05`.
pub fn local_time(date: DateTime<FixedOffset>) -> String {
    date.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn age(now: DateTime<Utc>, date: DateTime<FixedOffset>) -> String {
    let secs = (now - date.to_utc()).num_seconds();
    match secs {
        ..=4 => "now".into(),
        5..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        86_400..=604_799 => format!("{}d", secs / 86_400),
        _ => {
            let local = date.to_utc();
            if local.format("%Y").to_string() == now.format("%Y").to_string() {
                local.format("%b %-d").to_string()
            } else {
                local.format("%Y-%m-%d").to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        let now = DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let ago = |s: i64| age(now, (now - chrono::Duration::seconds(s)).fixed_offset());
        assert_eq!(ago(-30), "now", "a clock ahead of ours is not the future");
        assert_eq!(ago(2), "now");
        assert_eq!(ago(42), "42s");
        assert_eq!(ago(300), "5m");
        assert_eq!(ago(3 * 3600), "3h");
        assert_eq!(ago(2 * 86_400), "2d");
        assert_eq!(ago(30 * 86_400), "May 2");
        assert_eq!(ago(400 * 86_400), "2023-04-28");
    }
}
