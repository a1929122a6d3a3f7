//! The `tracing` feature (issue #11, item 3): a span per task carrying its id, name and
//! spawn location, entered on each poll; trace-level events for spawn, completion (with its
//! outcome), abort, worker park/unpark and steals; debug-mode reports as warnings. A small
//! hand-written subscriber records what it is given. Run with `--features tracing` (the
//! xtask test step does).
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Default)]
struct Log {
    /// Span id -> its fields.
    spans: HashMap<u64, HashMap<String, String>>,
    /// (message, fields, level, the span it is inside, if any).
    events: Vec<(String, HashMap<String, String>, Level)>,
    /// Span ids entered, in order.
    entered: Vec<u64>,
}

#[derive(Clone, Default)]
struct Recorder {
    log: Arc<Mutex<Log>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target().starts_with("weft")
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, SeqCst) + 1;
        let mut fields = HashMap::new();
        span.record(&mut Fields(&mut fields));
        fields.insert("span.name".into(), span.metadata().name().into());
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .spans
            .insert(id, fields);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let fields = log.spans.entry(span.into_u64()).or_default();
        values.record(&mut Fields(fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        if let Some(name) = std::thread::current().name() {
            fields.insert("thread".into(), name.into());
        }
        let message = fields.remove("message").unwrap_or_default();
        let level = *event.metadata().level();
        self.log
            .lock()
            .unwrap()
            .events
            .push((message, fields, level));
    }
    fn enter(&self, span: &Id) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entered
            .push(span.into_u64());
    }
    fn exit(&self, _: &Id) {}
}

/// The process-wide recorder: worker threads see only a global subscriber, so every test
/// shares one and picks out its own tasks by id or name.
fn recorder() -> Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER
        .get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(recorder.clone()).unwrap();
            recorder
        })
        .clone()
}

#[test]
fn every_task_has_a_span_entered_on_each_poll_and_events_for_its_life() {
    let recorder = recorder();
    let rt = weft::runtime::Builder::new_current_thread()
        .debug(false)
        .build()
        .unwrap();
    let line = line!() + 2;
    let (id, aborted) = rt.block_on(async {
        let h = weft::task::Builder::new().name("traced").spawn(async {
            weft::task::yield_now().await;
            weft::task::yield_now().await;
            7
        });
        let id = h.id();
        assert_eq!(h.await.unwrap(), 7);
        let pending = weft::spawn(std::future::pending::<()>());
        let aborted = pending.id();
        weft::task::yield_now().await;
        pending.abort();
        assert!(pending.await.unwrap_err().is_cancelled());
        (id, aborted)
    });
    drop(rt);
    let log = recorder.log.lock().unwrap_or_else(|e| e.into_inner());
    let (span_id, fields) = log
        .spans
        .iter()
        .find(|(_, f)| f.get("task.id") == Some(&id.to_string()))
        .expect("a span for the task");
    assert_eq!(fields["span.name"], "task");
    assert_eq!(fields["task.name"], "traced");
    assert_eq!(fields["loc.file"], file!());
    assert_eq!(fields["loc.line"], line.to_string());
    assert_eq!(
        log.entered.iter().filter(|e| *e == span_id).count(),
        3,
        "entered once per poll (two yields, then ready)"
    );
    let events_of = |task: weft::task::Id| -> Vec<String> {
        log.events
            .iter()
            .filter(|(_, f, _)| f.get("task_id") == Some(&task.to_string()))
            .map(|(m, f, l)| {
                assert_eq!(*l, Level::TRACE);
                match f.get("outcome") {
                    Some(o) => format!("{m}:{o}"),
                    None => m.clone(),
                }
            })
            .collect()
    };
    assert_eq!(events_of(id), ["spawn", "complete:ok"]);
    assert_eq!(events_of(aborted), ["spawn", "abort", "complete:cancelled"]);
}

#[test]
fn debug_reports_are_tracing_warnings() {
    let recorder = recorder();
    let rt = weft::runtime::Builder::new_current_thread()
        .slow_poll_threshold(Duration::from_millis(10))
        .build()
        .unwrap();
    rt.block_on(async {
        weft::task::Builder::new()
            .name("warned")
            .spawn(async { std::thread::sleep(Duration::from_millis(30)) })
            .await
            .unwrap();
    });
    let log = recorder.log.lock().unwrap_or_else(|e| e.into_inner());
    let warnings: Vec<_> = log
        .events
        .iter()
        .filter(|(m, _, l)| *l == Level::WARN && m.contains("\"warned\""))
        .map(|(m, _, _)| m.clone())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("slow poll: task "),
        "{}",
        warnings[0]
    );
}

#[test]
fn workers_trace_park_unpark_and_steals() {
    let recorder = recorder();
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("traced-worker")
        .debug(false)
        .build()
        .unwrap();
    let names = |log: &Log| -> Vec<String> {
        log.events
            .iter()
            .filter(|(_, f, _)| f.get("thread").is_some_and(|t| t == "traced-worker"))
            .map(|(m, _, _)| m.clone())
            .collect()
    };
    // Work spawned from one worker, with the other idle, gets stolen sooner or later.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        rt.block_on(async {
            weft::spawn(async {
                let tasks: Vec<_> = (0..64)
                    .map(|_| weft::spawn(async { std::thread::sleep(Duration::from_micros(200)) }))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        std::thread::sleep(Duration::from_millis(20));
        let seen = names(&recorder.log.lock().unwrap_or_else(|e| e.into_inner()));
        if ["park", "unpark", "steal"]
            .iter()
            .all(|e| seen.iter().any(|s| s == e))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only saw {seen:?}");
    }
}
