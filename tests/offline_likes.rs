//! A like made while the server is away is not lost when jetfeed quits
//! before it could go out: it is saved and sent at the next start, once.

mod common;

use common::NatsServer;

#[test]
fn a_like_queued_offline_survives_a_quit_and_goes_out_once() {
    let mut server = NatsServer::start();
    let url = server.url();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        jetfeed::headless::post(&common::bus_config(&url, "bob"), "like me later")
            .await
            .unwrap()
    });
    let data = tempfile::tempdir().unwrap();
    let run = || common::tui(data.path(), &url, "ann", &[]);
    let mut first = run();
    first.wait_for("like me later");
    server.stop();
    first.wait_for("reconnecting");
    first.type_bytes(b"\tl");
    first.wait_for("the like will be sent");
    first.type_bytes(b"q");
    assert!(first.wait().success());
    let said = String::from_utf8_lossy(&first.output()).into_owned();
    assert!(said.contains("1 unsent like(s) saved"), "{said}");

    server.restart();
    let mut second = run();
    second.wait_for("♥ 1");
    second.type_bytes(b"\tq");
    assert!(second.wait().success());
    let likes: Vec<String> = rt.block_on(async {
        let session = jetfeed::bus::Session::open(&common::bus_config(&url, "check"), None)
            .await
            .unwrap();
        let last = session.span().await.unwrap().last;
        let mut events = session.read(1);
        let mut likes = Vec::new();
        loop {
            let d = events.next().await.unwrap();
            if let Ok(e) = &d.event
                && e.kind == jetfeed::wire::EventKind::TweetLiked
            {
                likes.push(format!("{} {}", e.author, e.id));
            }
            if d.seq >= last {
                break;
            }
        }
        events.close().await;
        session.close().await;
        likes
    });
    assert_eq!(likes, [format!("ann {id}")], "sent once, after the restart");
    // Nothing is left to send a third time.
    let mut third = run();
    third.wait_for("♥ 1");
    third.type_bytes(b"\tq");
    assert!(third.wait().success());
    let said = String::from_utf8_lossy(&third.output()).into_owned();
    assert!(!said.contains("unsent like"), "{said}");
}
