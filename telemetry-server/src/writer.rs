//! The writer: one task that commits uploads in batches. Whatever arrives while a
//! commit is on its way to disk goes into the next one, so one flush acknowledges many
//! reports; each upload waits for the commit that holds it before it is answered.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{Db, NewReport, StoreError, Stored};

/// The most reports committed in one transaction.
const BATCH: usize = 512;
/// Uploads waiting for a commit, at most.
const QUEUE: usize = 4096;

type Job = (NewReport, oneshot::Sender<Result<Stored, Arc<StoreError>>>);

/// The handle requests store through.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// The writer's end: run it with [`Batches::run`].
pub(crate) struct Batches {
    jobs: mpsc::Receiver<Job>,
}

/// Why a report was not stored.
pub(crate) enum NotStored {
    /// The writer has stopped: the server is shutting down.
    ShuttingDown,
    /// The commit failed (the writer has said why on stderr).
    Failed,
}

/// A writer and its batches.
pub(crate) fn channel() -> (Writer, Batches) {
    let (jobs, queue) = mpsc::channel(QUEUE);
    (Writer { jobs }, Batches { jobs: queue })
}

impl Writer {
    /// Stores `report`, returning once the transaction holding it is committed.
    pub async fn store(&self, report: NewReport) -> Result<Stored, NotStored> {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((report, reply)).await.is_err() {
            return Err(NotStored::ShuttingDown);
        }
        match answer.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err(_)) | Err(_) => Err(NotStored::Failed),
        }
    }
}

impl Batches {
    /// Commits batches until every [`Writer`] is gone, then closes the database.
    pub async fn run(mut self, db: Db) {
        let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
        while self.jobs.recv_many(&mut batch, BATCH).await > 0 {
            let reports: Vec<NewReport> = batch.iter().map(|(r, _)| r.clone()).collect();
            match db.store(&reports).await {
                Ok(answers) => {
                    for ((_, reply), answer) in batch.drain(..).zip(answers) {
                        let _ = reply.send(Ok(answer));
                    }
                }
                Err(e) => {
                    eprintln!("telemetry-server: storing reports: {e}");
                    let e = Arc::new(e);
                    for (_, reply) in batch.drain(..) {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
        }
        db.close().await;
    }
}
