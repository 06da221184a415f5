//! jetfeed on a three-node JetStream cluster, the stream replicated three
//! times: the node a client is connected to is killed, then the stream's
//! leader, while events flow. Nothing is lost or doubled.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Client, Cluster, bus_config};
use jetfeed::app::Outgoing;
use jetfeed::bus::{BusConfig, Session};
use jetfeed::wire::{Event, EventKind};

fn cluster_config(urls: &str, user: &str) -> BusConfig {
    BusConfig {
        replicas: 3,
        ..bus_config(urls, user)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_loses_and_doubles_nothing() {
    let mut cluster = Cluster::start(3);
    let urls = cluster.urls();
    // The cluster elects its leaders; the stream is made with three replicas.
    let cfg = cluster_config(&urls, "cy");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let session = loop {
        match Session::open(&cfg, None).await {
            Ok(s) => break s,
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no JetStream cluster: {e}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    let nodes: Vec<async_nats::ServerAddr> = urls.split(',').map(|u| u.parse().unwrap()).collect();
    let js = async_nats::jetstream::new(async_nats::connect(nodes).await.unwrap());
    let mut stream = js.get_stream("TWITTERCLONE").await.unwrap();
    assert_eq!(stream.info().await.unwrap().config.num_replicas, 3);

    let mut ann = Client::start_with(cluster_config(&urls, "ann")).await;
    let mut bob = Client::start_with(cluster_config(&urls, "bob")).await;

    const EVENTS: u32 = 200;
    let published = Arc::new(AtomicU32::new(0));
    let acked = published.clone();
    let publisher = tokio::spawn(async move {
        for i in 0..EVENTS {
            let tweet = format!("t{}", i / 2 * 2);
            let (kind, author) = if i % 2 == 0 {
                (EventKind::TweetCreated, "cy".to_owned())
            } else {
                (EventKind::TweetLiked, format!("u{}", i % 5))
            };
            let event = Event {
                kind,
                id: tweet,
                message: format!("event {i}"),
                date: chrono::Utc::now().fixed_offset(),
                author,
            };
            let out = Outgoing {
                msg_id: format!("m{i}"),
                event,
            };
            let sent = common::publish_until_acked(&session, &out, 100).await;
            assert!(sent, "event {i} never acked");
            acked.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });

    // Kill the node ann is connected to.
    ann.until("events flowing", |a| a.feed.len() >= 10).await;
    let connected = ann.server_name();
    cluster.node(&connected).kill();
    let moved = ann
        .try_until_within(Duration::from_secs(30), |a| {
            a.connection == jetfeed::app::Connection::Connected && a.feed.len() >= 30
        })
        .await;
    if let Err(state) = moved {
        // Which part stalled: the publisher, the stream, or ann's consumer.
        let consumer = jetfeed::bus::consumer_name("ann");
        panic!(
            "timed out waiting for ann on another node; ann: {state}; events acked to the \
             publisher: {}; stream: {:?}; ann's consumer: {:?}",
            published.load(Ordering::SeqCst),
            stream
                .info()
                .await
                .map(|i| (i.state.last_sequence, i.cluster.clone())),
            stream.consumer_info(&consumer).await.map(|i| (
                i.delivered.stream_sequence,
                i.ack_floor.stream_sequence,
                i.num_ack_pending,
                i.num_pending,
                i.push_bound,
                i.cluster.clone()
            )),
        );
    }
    assert_ne!(ann.server_name(), connected);
    cluster.node(&connected).restart_node();

    // Then the stream's leader, once the restarted node has caught up: a
    // leader and two current replicas, so killing the leader leaves a
    // quorum.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let leader = loop {
        let cluster = stream.info().await.ok().and_then(|i| i.cluster.clone());
        if let Some(c) = cluster
            && let Some(leader) = c.leader
            && c.replicas.len() == 2
            && c.replicas.iter().all(|r| r.current && !r.offline)
        {
            break leader;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream never had a leader and two current replicas"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    cluster.node(&leader).kill();
    // A new stream leader is elected, then the consumer's: give it time.
    bob.until_within(
        Duration::from_secs(30),
        "more events after the leader died",
        |a| a.feed.len() >= 70,
    )
    .await;
    cluster.node(&leader).restart_node();

    publisher.await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let last = loop {
        if let Ok(info) = stream.info().await {
            break info.state.last_sequence;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream never answered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(last, u64::from(EVENTS), "each event stored once");
    for c in [&mut ann, &mut bob] {
        // A delivery lost in transit when a node died is read from the
        // stream once a later delivery, or the consumer's delivered mark,
        // shows it missing; the cap is past the ack wait (30 s), after
        // which the consumer sends it again anyway.
        let tweets = EVENTS as usize / 2;
        c.until_within(Duration::from_secs(45), "every event", |a| {
            a.feed.last_seq() == last && a.feed.len() == tweets
        })
        .await;
        assert_eq!(c.app.feed.len(), EVENTS as usize / 2);
        assert_eq!(c.app.skipped, 0, "nothing doubled");
        for i in (0..EVENTS).step_by(2) {
            assert_eq!(c.app.feed.get(&format!("t{i}")).unwrap().likes(), 1);
        }
    }
    eprintln!(
        "reliability: cluster failover | killed {connected} (connected) and {leader} (leader) | published {EVENTS} | stored {last} | events in ann's feed {} and bob's {} | tweets {} and {} | skipped {} and {}",
        ann.app.feed.last_seq(),
        bob.app.feed.last_seq(),
        ann.app.feed.len(),
        bob.app.feed.len(),
        ann.app.skipped,
        bob.app.skipped,
    );
    ann.shutdown().await;
    bob.shutdown().await;
}
