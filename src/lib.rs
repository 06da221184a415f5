//! jetfeed: a terminal client for a live tweet feed on NATS JetStream.
//!
//! Where things live:
//! - a key press: `tui::spawn_input` turns it into `Msg::Key`; `app::keymap`
//!   makes it an `Action`; `app::on_action` carries it out
//! - a JetStream delivery: `bus::consumer::run_feed` turns it into `Msg::Delivered`;
//!   `app::deliveries` applies it to the `feed::Feed` and returns `Cmd::Ack`
//! - a rendered row: `ui::render`, tweets in `ui/feed.rs`
//! - NATS: `bus::Session`, the one door (TUI, headless commands, tests)
//! - the wire format: `wire`; what never enters: `sanitize`; how text is
//!   shown: `app::glyphs`
//! - the embedded nats-server: `server`
//! - the config file and natscli's contexts: `config`
//! - putting back a deleted consumer or stream: `bus::watch`
//! - `jetfeed serve`, the HTTP API and web page: `serve`

pub mod app;
pub mod bus;
pub mod cli;
pub mod config;
pub mod drafts;
pub mod feed;
pub mod headless;
pub mod memory;
pub mod paths;
pub mod sanitize;
pub mod serve;
pub mod server;
pub mod swar;
pub mod tui;
pub mod ui;
pub mod wire;
