//! What a representative's day is made of, read in one statement: every
//! active member of the portfolio (tens to a few hundred) with the facts
//! « Aujourd'hui » sorts them by — the open planned follow-up, whether a
//! billing request is live in the cycle, today's renewal risk score. The
//! stages to do, the planned follow-ups due, the members whose state needs
//! care and the touch list are all drawn from these rows (they were five
//! statements over the same members; see BENCHMARKS.md). The risk's facts
//! are read afterwards for the stages shown only (`risk::of_members`).
use chrono::NaiveDate;
use sqlx::{PgPool, QueryBuilder};

use crate::domain::formula::Colour;
use crate::domain::scope::Scope;
use crate::member_row_select;
use crate::store::members::{MemberRow, push_scope};
use crate::store::timeline::Timelines;

/// An active member of the portfolio and what the day needs of them.
#[derive(sqlx::FromRow)]
pub struct PortfolioRow {
    #[sqlx(flatten)]
    pub member: MemberRow,
    /// The member's open planned follow-up (at most one: a unique index).
    pub planned_on: Option<NaiveDate>,
    /// A billing request of the current cycle that is not cancelled.
    pub live_request: bool,
    /// Today's renewal risk score, once the scores in scope are refreshed
    /// (`risk::refresh`); `None` while the member has no score yet.
    risk_score: Option<i16>,
}

impl PortfolioRow {
    /// The risk score alone (0 without a score).
    pub fn risk_score(&self) -> i16 {
        self.risk_score.unwrap_or(0)
    }
}

/// Every active member in scope, by renewal date, with the facts above:
/// each looked up member by member on its own index (the portfolio is
/// small, the network's follow-ups and requests are many).
pub async fn portfolio(pool: &PgPool, scope: Scope) -> Result<Vec<PortfolioRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT mr.*, \
         (SELECT p.due_date FROM planned_follow_ups p \
          WHERE p.member_id = mr.id AND p.status = 'open' LIMIT 1) AS planned_on, \
         EXISTS (SELECT 1 FROM billing_requests b WHERE b.member_id = mr.id \
          AND b.cycle = mr.cycle AND b.status <> 'cancelled') AS live_request, \
         r.score AS risk_score FROM (",
    );
    qb.push(member_row_select!());
    qb.push(" WHERE m.status = 'active'");
    push_scope(&mut qb, scope);
    qb.push(
        ") mr LEFT JOIN member_risks r ON r.member_id = mr.id AND r.active \
         ORDER BY mr.renewal_date, mr.id",
    );
    qb.build_query_as().fetch_all(pool).await
}

/// The portfolio's active members per colour of their current stage,
/// every colour listed: the figures `dashboard::colour_counts` reads from
/// the stage ranges, counted here from the rows already read (a test holds
/// the two equal for every representative of the demo).
pub fn colour_counts(
    rows: &[PortfolioRow],
    timelines: &Timelines,
    today: NaiveDate,
) -> Vec<(Colour, i64)> {
    let mut counts: Vec<(Colour, i64)> = Colour::ALL.iter().map(|c| (*c, 0)).collect();
    for p in rows {
        if let Some(stage) = p.member.current_stage(timelines, today)
            && let Some(c) = counts.iter_mut().find(|(c, _)| *c == stage.def.colour)
        {
            c.1 += 1;
        }
    }
    counts
}
