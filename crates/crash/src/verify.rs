//! After the load, over HTTP as an admin: every request answered 201 exists exactly once,
//! numbers are unique and follow the order in which creations happened, each ticket's
//! audit trail matches its messages, and each status's queue total (kept as per-status
//! counts) is the number of tickets in that status.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use crate::load::{Created, Replied};
use crate::BoxError;

/// What the checks found; every list empty is a pass.
#[derive(Debug, Default)]
pub struct Findings {
    /// Answered 201, not in the database.
    pub lost: Vec<String>,
    /// In the database more than once, or in it without any request for it.
    pub duplicated: Vec<String>,
    /// Numbers repeated, different from the answer, or out of creation order.
    pub numbering: Vec<String>,
    /// Audit trails that do not match the messages.
    pub audit: Vec<String>,
    /// Queue totals that differ from the tickets listed in their status.
    pub counts: Vec<String>,
    /// Tickets in the database.
    pub tickets_seen: usize,
    /// Messages in the database.
    pub messages_seen: usize,
}

impl Findings {
    fn merge(&mut self, other: Findings) {
        self.lost.extend(other.lost);
        self.duplicated.extend(other.duplicated);
        self.numbering.extend(other.numbering);
        self.audit.extend(other.audit);
        self.counts.extend(other.counts);
        self.messages_seen += other.messages_seen;
    }
}

/// A ticket and the messages (id, internal) it must hold.
type Expected = (Uuid, Vec<(Uuid, bool)>);

struct Reader {
    http: reqwest::Client,
    base: Arc<str>,
    admin: String,
}

impl Reader {
    async fn get(&self, path: &str) -> Result<(u16, Value), BoxError> {
        let mut last = String::new();
        // The servers are up and idle by now; a few tries only cover a slow first answer.
        for _ in 0..3 {
            match self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.admin).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if status < 500 {
                        return Ok((status, body));
                    }
                    last = format!("{status} {body}");
                }
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("GET {path}: {last}").into())
    }
}

/// Runs every check against the server at `base`.
///
/// # Errors
///
/// A read fails (which is itself a finding worth stopping for).
pub async fn verify(
    http: reqwest::Client,
    base: Arc<str>,
    admin: String,
    created: &[Created],
    replied: &[Replied],
) -> Result<Findings, BoxError> {
    let reader = Arc::new(Reader { http, base, admin });
    let mut findings = Findings::default();

    // Every ticket of the tenant, from the queue, oldest first, by cursor (`page` stops at
    // the first 10,000 tickets).
    let mut listed: Vec<(Uuid, i64)> = Vec::new();
    let mut in_status: HashMap<String, u64> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, body) =
            reader.get(&format!("/api/v1/admin/tickets?status=all&sort=createdAt&size=100{after}")).await?;
        if status != 200 {
            return Err(format!("the queue answered {status}: {body}").into());
        }
        let data = body["data"].as_array().ok_or("the queue has no data")?;
        cursor = body["meta"]["nextCursor"].as_str().map(str::to_owned);
        for item in data {
            let id = item["id"].as_str().and_then(|raw| Uuid::parse_str(raw).ok()).ok_or("a ticket without id")?;
            listed.push((id, item["number"].as_i64().ok_or("a ticket without number")?));
            *in_status.entry(item["status"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
        }
        if cursor.is_none() {
            break;
        }
    }
    findings.tickets_seen = listed.len();
    for status in ["open", "in_progress", "answered", "resolved", "closed"] {
        let (_, body) = reader.get(&format!("/api/v1/admin/tickets?status={status}&size=1")).await?;
        let total = body["meta"]["total"].as_u64();
        let listed = in_status.get(status).copied().unwrap_or(0);
        if total != Some(listed) {
            findings.counts.push(format!("the {status} queue says total {total:?}; {listed} tickets are {status}"));
        }
    }

    let expected: HashMap<Uuid, &Created> = created.iter().map(|c| (c.ticket, c)).collect();
    let mut seen_ids: HashMap<Uuid, usize> = HashMap::new();
    let mut seen_numbers: HashMap<i64, Vec<Uuid>> = HashMap::new();
    for (id, number) in &listed {
        *seen_ids.entry(*id).or_default() += 1;
        seen_numbers.entry(*number).or_default().push(*id);
        if !expected.contains_key(id) {
            findings.duplicated.push(format!("ticket {id} (#{number}) exists, but no answered request created it"));
        }
    }
    for (id, count) in &seen_ids {
        if *count > 1 {
            findings.duplicated.push(format!("ticket {id} is listed {count} times"));
        }
    }
    for (number, ids) in &seen_numbers {
        if ids.len() > 1 {
            findings.numbering.push(format!("number {number} is shared by {ids:?}"));
        }
    }
    let listed_numbers: HashMap<Uuid, i64> = listed.iter().copied().collect();
    for c in created {
        match listed_numbers.get(&c.ticket) {
            None => {
                let (status, _) = reader.get(&format!("/api/v1/admin/tickets/{}", c.ticket)).await?;
                findings
                    .lost
                    .push(format!("ticket {} (#{}) was answered 201; now GET says {status}", c.ticket, c.number));
            }
            Some(number) if *number != c.number => {
                findings.numbering.push(format!("ticket {} was answered as #{}, is #{number}", c.ticket, c.number));
            }
            Some(_) => {}
        }
    }
    findings.numbering.extend(creation_order(created));

    // Each ticket: its messages and its audit trail.
    let mut replies: HashMap<Uuid, Vec<&Replied>> = HashMap::new();
    for reply in replied {
        replies.entry(reply.ticket).or_default().push(reply);
    }
    let mut jobs: Vec<Vec<Expected>> = vec![Vec::new(); 8];
    for (index, c) in created.iter().enumerate() {
        let mut messages = vec![(c.first_message, false)];
        messages.extend(replies.get(&c.ticket).into_iter().flatten().map(|r| (r.message, r.internal)));
        jobs[index % 8].push((c.ticket, messages));
    }
    let known: HashSet<Uuid> = expected.keys().copied().collect();
    for reply in replied {
        if !known.contains(&reply.ticket) {
            findings.lost.push(format!(
                "reply {} went to ticket {}, which no answered create made",
                reply.message, reply.ticket
            ));
        }
    }
    let mut tasks = Vec::new();
    for job in jobs {
        let reader = reader.clone();
        tasks.push(tokio::spawn(async move {
            let mut found = Findings::default();
            for (ticket, messages) in job {
                check_ticket(&reader, ticket, &messages, &mut found).await?;
            }
            Ok::<_, BoxError>(found)
        }));
    }
    for task in tasks {
        findings.merge(task.await??);
    }
    Ok(findings)
}

/// A ticket whose 201 arrived before another's request was first sent was committed first,
/// so it must have the smaller number.
fn creation_order(created: &[Created]) -> Vec<String> {
    let mut by_answer: Vec<&Created> = created.iter().collect();
    by_answer.sort_by_key(|c| c.answered_at);
    let mut by_start: Vec<&Created> = created.iter().collect();
    by_start.sort_by_key(|c| c.first_sent);
    let mut problems = Vec::new();
    let mut highest: Option<&Created> = None;
    let mut next = 0;
    for later in by_start {
        while next < by_answer.len() && by_answer[next].answered_at < later.first_sent {
            if highest.is_none_or(|h| by_answer[next].number > h.number) {
                highest = Some(by_answer[next]);
            }
            next += 1;
        }
        if let Some(earlier) = highest {
            if earlier.number >= later.number {
                problems.push(format!(
                    "ticket #{} was answered before ticket #{} was requested, yet its number is not smaller",
                    earlier.number, later.number
                ));
            }
        }
    }
    problems
}

async fn check_ticket(
    reader: &Reader,
    ticket: Uuid,
    expected: &[(Uuid, bool)],
    found: &mut Findings,
) -> Result<(), BoxError> {
    let (status, detail) = reader.get(&format!("/api/v1/admin/tickets/{ticket}")).await?;
    if status != 200 {
        // Already reported as lost from the queue.
        return Ok(());
    }
    let mut stored: HashMap<Uuid, (usize, bool)> = HashMap::new();
    for message in detail["messages"].as_array().ok_or("a ticket without messages")? {
        let id = message["id"].as_str().and_then(|raw| Uuid::parse_str(raw).ok()).ok_or("a message without id")?;
        let entry = stored.entry(id).or_insert((0, message["internal"].as_bool().unwrap_or(false)));
        entry.0 += 1;
        found.messages_seen += 1;
    }
    let expected_ids: HashSet<Uuid> = expected.iter().map(|(id, _)| *id).collect();
    for (id, internal) in expected {
        match stored.get(id) {
            None => found.lost.push(format!("message {id} of ticket {ticket} was answered 201 and is missing")),
            Some((count, _)) if *count > 1 => {
                found.duplicated.push(format!("message {id} appears {count} times in ticket {ticket}"));
            }
            Some((_, stored_internal)) if stored_internal != internal => {
                found.audit.push(format!("message {id} of ticket {ticket} has internal={stored_internal}"));
            }
            Some(_) => {}
        }
    }
    for id in stored.keys().filter(|id| !expected_ids.contains(id)) {
        found.duplicated.push(format!("message {id} in ticket {ticket}: no answered request made it"));
    }

    let (status, events) = reader.get(&format!("/api/v1/admin/tickets/{ticket}/events")).await?;
    if status != 200 {
        found.audit.push(format!("the events of ticket {ticket} answered {status}: {events}"));
        return Ok(());
    }
    let mut created_events = 0;
    let mut naming: HashMap<Uuid, Vec<String>> = HashMap::new();
    for event in events["data"].as_array().ok_or("events without data")? {
        let kind = event["type"].as_str().unwrap_or("?").to_owned();
        match kind.as_str() {
            "created" => created_events += 1,
            "message_added" | "note_added" => {
                match event["data"]["messageId"].as_str().and_then(|raw| Uuid::parse_str(raw).ok()) {
                    Some(id) => naming.entry(id).or_default().push(kind),
                    None => found.audit.push(format!("ticket {ticket}: {kind} without data.messageId: {event}")),
                }
            }
            _ => {}
        }
    }
    if created_events != 1 {
        found.audit.push(format!("ticket {ticket} has {created_events} created events"));
    }
    for (id, (_, internal)) in &stored {
        let want = if *internal { "note_added" } else { "message_added" };
        match naming.get(id).map(Vec::as_slice) {
            Some([kind]) if kind == want => {}
            other => found.audit.push(format!("ticket {ticket}: message {id} has events {other:?}, not one {want}")),
        }
    }
    for id in naming.keys().filter(|id| !stored.contains_key(id)) {
        found.audit.push(format!("ticket {ticket}: an event names message {id}, which is not in the ticket"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn ticket(number: i64, first_sent: u64, answered_at: u64) -> Created {
        Created {
            ticket: Uuid::new_v4(),
            number,
            first_message: Uuid::new_v4(),
            first_sent: Duration::from_millis(first_sent),
            answered_at: Duration::from_millis(answered_at),
        }
    }

    #[test]
    fn overlapping_creations_may_take_numbers_in_any_order() {
        assert!(creation_order(&[ticket(2, 0, 10), ticket(1, 5, 20)]).is_empty());
    }

    #[test]
    fn a_creation_after_an_answer_needs_a_larger_number() {
        assert!(creation_order(&[ticket(1, 0, 10), ticket(2, 11, 20), ticket(3, 12, 30)]).is_empty());
        let problems = creation_order(&[ticket(2, 0, 10), ticket(1, 11, 20)]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems.first().unwrap().contains("#2 was answered before ticket #1"));
    }
}
