//! Shared set-up for the renewal risk tests: a member's score on a date
//! as the database computes it from history, and history written on a
//! chosen date.
use renouvo::domain::risk::Risk;
use sqlx::PgPool;

use super::builders::date;

/// The member's score as it was at the end of `day` (for their current
/// renewal date), with its facts in French.
pub async fn score_on(pool: &PgPool, member: i64, day: &str) -> (i16, Vec<String>) {
    let due: chrono::NaiveDate =
        sqlx::query_scalar("SELECT renewal_date FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(pool)
            .await
            .expect("date de renouvellement");
    let risk: Risk = renouvo::store::risk::as_of(pool, member, date(day), due)
        .await
        .expect("risque");
    (
        risk.score,
        risk.facts.iter().map(|f| f.explained()).collect(),
    )
}

/// A follow-up logged at noon on `day`, in `stage`, setting `state`.
pub async fn follow_up_on(
    pool: &PgPool,
    member: i64,
    author: i64,
    day: &str,
    stage: &str,
    state: &str,
) {
    sqlx::query(
        "INSERT INTO follow_ups (member_id, author_id, channel, body, cycle, stage_key, state, at) \
         SELECT id, $2, 'call', 'Appel de suivi.', cycle, $3, $4, $5::date + time '12:00' \
         FROM members WHERE id = $1",
    )
    .bind(member)
    .bind(author)
    .bind(stage)
    .bind(state)
    .bind(date(day))
    .execute(pool)
    .await
    .expect("suivi daté");
}

/// The Tuesdays going back from `last`, one a week, `n` of them.
pub fn tuesdays(last: &str, n: u64) -> Vec<String> {
    (0..n)
        .map(|w| (date(last) - chrono::Days::new(7 * w)).to_string())
        .collect()
}
