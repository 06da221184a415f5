//! A tweet's page: the whole text at any width, scrollable, with its
//! author, exact local time, id, like count and who liked it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme;
use crate::app::{App, geometry, glyphs};

/// The page's lines at `cols` columns: everything, uncapped.
/// The page's lines at `cols` columns, the text laid out no further than
/// `text_rows` rows (what can be on screen at the scroll position): a
/// tweet's length does not make each frame slower.
pub fn lines(app: &App, id: &str, cols: u16, text_rows: usize) -> Vec<Line<'static>> {
    let p = theme::of(app);
    let Some(tweet) = app.feed.get(id) else {
        return vec![Line::from(Span::styled(
            "This tweet is no longer loaded.",
            p.dim,
        ))];
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(glyphs::display(&tweet.author).into_owned(), p.author),
            Span::styled(
                format!(
                    " · {}{}",
                    // `t` shows ages: the page gives one before its date.
                    match app.time {
                        crate::app::TimeFormat::Relative => {
                            format!("{} · ", super::feed::age(app.now, tweet.date))
                        }
                        crate::app::TimeFormat::Absolute => String::new(),
                    },
                    tweet
                        .date
                        .with_timezone(&chrono::Local)
                        .format("%A %-d %B %Y, %H:%M:%S %Z"),
                ),
                p.dim,
            ),
        ]),
        Line::default(),
    ];
    out.extend(
        geometry::lines(&tweet.text, cols, text_rows)
            .into_iter()
            .map(Line::from),
    );
    out.push(Line::default());
    let liked = tweet.liked_by(&app.user);
    let heart = if liked { "♥" } else { "♡" };
    let heart_style = if liked { p.liked } else { p.dim };
    out.push(Line::from(vec![
        Span::styled(format!("{heart} {}", tweet.likes()), heart_style),
        Span::styled(
            match tweet.likes() {
                1 => " like",
                _ => " likes",
            },
            p.dim,
        ),
    ]));
    let who = crate::app::views::likers_shown(tweet);
    if !who.is_empty() {
        out.extend(
            geometry::wrap(&format!("liked by {}", who.join(", ")), cols, usize::MAX)
                .into_iter()
                .map(Line::from),
        );
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        format!("id {}", glyphs::display(&tweet.id)),
        p.dim,
    )));
    out
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(page) = &app.page else {
        return;
    };
    let block = theme::view_block(app, " Tweet ", " l like · y copy id · Esc back ");
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let shown = usize::from(page.scroll) + usize::from(inner.height) + 1;
    let lines = lines(app, &page.id, inner.width, shown);
    let last = (lines.len() as u16).saturating_sub(inner.height);
    Paragraph::new(lines)
        .scroll((page.scroll.min(last), 0))
        .render(inner, buf);
}
