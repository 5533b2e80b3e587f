//! The notifier's design sentence: for each change of a resource's state, advance its incident,
//! and deliver the resulting notice once to every channel its routes name.
//!
//! Exactly once per (transition, channel): a conditional ledger write claims each delivery
//! before sending and marks it sent after. The incident is stored only once every channel has
//! its message, so a failed send leaves the whole change for redelivery, where the ledger skips
//! what already went out. A notification failure never touches the history.

use std::future::Future;
use std::time::Instant;

use chrono::Duration;

use super::incident::{self, Incident, IncidentConfig};
use super::notice::{Notice, NoticeKind};
use super::routing::{Channel, Routing};
use super::{slack, sns};
use crate::clients::{ApiError, Secret, SecretCache, SlackClient, SlackError, SnsPublisher};
use crate::reconcile::ResourceState;
use crate::store::{Claim, HistoryStore, StoreError, claim_token};

/// How long a claim holds before another invocation may take the delivery over.
const CLAIM_LEASE_SECONDS: i64 = 120;

/// Retries an idempotent ledger call beyond the SDK's own attempts, for as long as the deadline
/// allows: between a claim, a message and its record, a store hiccup must not strand a claim
/// (the redelivery would wait out its lease) or lose the fact that a message went out.
async fn persist<T, F, Fut>(deadline: Instant, mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        match call().await {
            Err(error @ StoreError::Dynamo { .. }) if Instant::now() + pause * 2 < deadline => {
                tracing::warn!(error = %error, "ledger write failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            result => return result,
        }
    }
}

/// Why a change could not be fully notified (it will be redelivered).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{channel}: {source}")]
    Slack { channel: String, source: SlackError },
    #[error("{channel}: {source}")]
    Aws { channel: String, source: ApiError },
    #[error("{channel}: another invocation is delivering this notice right now")]
    Busy { channel: String },
}

/// What notifying one change did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// The notice, if the change made one.
    pub notice: Option<Notice>,
    /// Channels that got it now.
    pub sent: Vec<String>,
    /// Channels that already had it (a redelivery).
    pub skipped: Vec<String>,
}

/// Incidents, routes, channels and the ledger, built once per container.
#[derive(Debug)]
pub struct Notifier {
    store: HistoryStore,
    routing: Routing,
    secrets: SecretCache,
    slack: SlackClient,
    sns: SnsPublisher,
    config: IncidentConfig,
}

impl Notifier {
    /// A notifier.
    pub fn new(
        store: HistoryStore,
        routing: Routing,
        secrets: SecretCache,
        slack: SlackClient,
        sns: SnsPublisher,
        config: IncidentConfig,
    ) -> Self {
        Notifier { store, routing, secrets, slack, sns, config }
    }

    /// Notifies one state change (a stream record's old and new image).
    pub async fn notify(
        &self,
        old: Option<&ResourceState>,
        new: &ResourceState,
        deadline: Instant,
    ) -> Result<Delivered, NotifyError> {
        let current: Option<Incident> = self.store.incidents().get(&new.resource).await?;
        let step = incident::apply(current.as_ref(), old, new, &self.config);
        let mut delivered = Delivered::default();
        let Some(mut next) = step.incident else { return Ok(delivered) };
        let notice = step.notice.map(|mut notice| {
            notice.mention = notice.author.as_deref().and_then(|a| self.routing.mention(a));
            notice
        });
        // Every channel gets its try: Slack being down must not hold back the SNS page.
        let mut first_error = None;
        if let Some(notice) = &notice {
            for (name, channel) in self.routing.channels_for(notice) {
                match self.deliver(notice, name, channel, &mut next, deadline).await {
                    Ok(true) => delivered.sent.push(name.to_owned()),
                    Ok(false) => delivered.skipped.push(name.to_owned()),
                    Err(error) => {
                        tracing::warn!(channel = name, error = %error, "delivery failed");
                        first_error.get_or_insert(error);
                    }
                }
            }
        }
        if let Some(error) = first_error {
            // The incident is not advanced: the redelivery sends what is missing.
            return Err(error);
        }
        // Unchanged (a redelivery of an applied change) costs no write.
        if Some(&next) != current.as_ref() {
            self.store.incidents().put(&next.resource, next.last_version, &next).await?;
        }
        delivered.notice = notice;
        Ok(delivered)
    }

    /// Sends `notice` to one channel unless the ledger says it went out already. Returns
    /// whether it was sent now.
    async fn deliver(
        &self,
        notice: &Notice,
        name: &str,
        channel: &Channel,
        incident: &mut Incident,
        deadline: Instant,
    ) -> Result<bool, NotifyError> {
        let lease = Duration::seconds(CLAIM_LEASE_SECONDS);
        let token = claim_token();
        let transition = notice.transition_id.as_str();
        let claim =
            persist(deadline, || self.store.ledger().claim(transition, name, lease, &token));
        match claim.await? {
            Claim::AlreadySent { slack_ts } => {
                // A root posted before a crash: its ts lives in the ledger.
                if let (Some(ts), NoticeKind::Opened) = (slack_ts, notice.kind) {
                    incident.slack_threads.entry(name.to_owned()).or_insert(ts);
                }
                return Ok(false);
            }
            Claim::Busy => return Err(NotifyError::Busy { channel: name.to_owned() }),
            Claim::Acquired => {}
        }
        match self.send(notice, name, channel, incident, deadline).await {
            Ok(slack_ts) => {
                // The message cannot be taken back: losing this write would send it again
                // once the lease runs out.
                let ts = slack_ts.as_deref();
                persist(deadline, || self.store.ledger().mark_sent(transition, name, ts)).await?;
                Ok(true)
            }
            Err(error) => {
                persist(deadline, || self.store.ledger().release(transition, name)).await?;
                Err(error)
            }
        }
    }

    /// The actual send; returns the Slack `ts` of a new thread root.
    async fn send(
        &self,
        notice: &Notice,
        name: &str,
        channel: &Channel,
        incident: &mut Incident,
        deadline: Instant,
    ) -> Result<Option<String>, NotifyError> {
        let aws_error = |source| NotifyError::Aws { channel: name.to_owned(), source };
        let slack = &self.slack;
        match channel {
            Channel::SlackWebhook { secret } => {
                let payload = &slack::message(notice);
                self.with_secret(name, secret, |url| async move {
                    slack.post_webhook(url.expose(), payload, deadline).await
                })
                .await?;
                Ok(None)
            }
            Channel::SlackBot { secret, channel: slack_channel } => {
                let open = notice.kind != NoticeKind::Resolved;
                let root_payload = &slack::root(notice, open);
                match incident.slack_threads.get(name).cloned() {
                    // The incident's first message is its root; everything after is a reply
                    // in its thread, and the root is edited to show the current state.
                    None => {
                        let ts = self
                            .with_secret(name, secret, |token| async move {
                                slack
                                    .post_message(
                                        token.expose(),
                                        slack_channel,
                                        root_payload,
                                        None,
                                        deadline,
                                    )
                                    .await
                            })
                            .await?;
                        incident.slack_threads.insert(name.to_owned(), ts.clone());
                        Ok(Some(ts))
                    }
                    Some(root) => {
                        let reply = &slack::message(notice);
                        let root = root.as_str();
                        self.with_secret(name, secret, |token| async move {
                            slack
                                .post_message(
                                    token.expose(),
                                    slack_channel,
                                    reply,
                                    Some(root),
                                    deadline,
                                )
                                .await
                        })
                        .await?;
                        self.with_secret(name, secret, |token| async move {
                            slack
                                .update_message(
                                    token.expose(),
                                    slack_channel,
                                    root,
                                    root_payload,
                                    deadline,
                                )
                                .await
                        })
                        .await?;
                        Ok(None)
                    }
                }
            }
            Channel::Sns { topic_arn } => {
                let message = sns::render(notice);
                self.sns
                    .publish(topic_arn, &message.subject, &message.body, &message.attributes)
                    .await
                    .map_err(aws_error)?;
                Ok(None)
            }
        }
    }

    /// Makes a Slack `call` with the secret `id` (webhook URL or bot token). When Slack refuses
    /// the credential, the cached value is dropped and the secret read again; if it now holds
    /// a different value (it was rotated), the call is made once more with that. A refusal
    /// means nothing was posted, so the second call cannot post twice.
    async fn with_secret<T, F, Fut>(&self, name: &str, id: &str, call: F) -> Result<T, NotifyError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, SlackError>>,
    {
        let slack_error = |source| NotifyError::Slack { channel: name.to_owned(), source };
        let aws_error = |source| NotifyError::Aws { channel: name.to_owned(), source };
        let secret = self.secrets.get(id).await.map_err(aws_error)?;
        match call(secret.clone()).await {
            Err(refused) if refused.is_credential_refused() => {
                self.secrets.evict(id).await;
                let current = self.secrets.get(id).await.map_err(aws_error)?;
                if current == secret {
                    // Not rotated: the credential itself is bad, and saying so is all we can do.
                    return Err(slack_error(refused));
                }
                tracing::info!(
                    channel = name,
                    error = %refused,
                    "Slack refused the cached credential; the secret was rotated, trying its current value"
                );
                call(current).await.map_err(slack_error)
            }
            result => result.map_err(slack_error),
        }
    }
}
