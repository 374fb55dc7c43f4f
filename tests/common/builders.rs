//! One way to put test data in the database: members, groups, billing
//! requests. Users come from `TestApp::create_user`.
use chrono::NaiveDate;
use renouvo::domain::member::profession_key;
use sqlx::PgPool;

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date de test AAAA-MM-JJ")
}

/// A group of `kind` (`A` or `B`) in `district`, meeting on Tuesdays at 7.
pub async fn insert_group(pool: &PgPool, district: i64, name: &str, kind: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind, meeting_day, meeting_time) \
         VALUES ($1, $2, $3, 2, '07:00') RETURNING id",
    )
    .bind(district)
    .bind(name)
    .bind(kind)
    .fetch_one(pool)
    .await
    .expect("groupe")
}

/// An active member; by default a regional « Comptable » of `district`
/// without a representative, joined 2020-01-01, renewing 2027-05-01 on a
/// twelve-month term.
#[derive(Debug, Clone)]
pub struct MemberBuilder {
    first: String,
    last: String,
    profession: String,
    district: i64,
    group: Option<(i64, String)>,
    formula: String,
    rep: Option<i64>,
    join: NaiveDate,
    renewal: NaiveDate,
    term: i32,
    credits_cents: i64,
    email: String,
    city: String,
}

impl MemberBuilder {
    pub fn new(district: i64) -> MemberBuilder {
        MemberBuilder {
            first: "Membre".into(),
            last: "Test".into(),
            profession: "Comptable".into(),
            district,
            group: None,
            formula: "regional".into(),
            rep: None,
            join: date("2020-01-01"),
            renewal: date("2027-05-01"),
            term: 12,
            credits_cents: 0,
            email: String::new(),
            city: String::new(),
        }
    }

    pub fn name(mut self, first: &str, last: &str) -> Self {
        self.first = first.into();
        self.last = last.into();
        self
    }

    pub fn profession(mut self, profession: &str) -> Self {
        self.profession = profession.into();
        self
    }

    /// An exclusive seat in `group` (of kind `kind`).
    pub fn exclusive_in(mut self, group: i64, kind: &str) -> Self {
        self.group = Some((group, kind.into()));
        self.formula = "exclusive".into();
        self
    }

    pub fn formula(mut self, formula: &str) -> Self {
        self.formula = formula.into();
        self
    }

    pub fn rep(mut self, rep: i64) -> Self {
        self.rep = Some(rep);
        self
    }

    pub fn joined(mut self, join: &str) -> Self {
        self.join = date(join);
        self
    }

    pub fn renewing(mut self, renewal: &str) -> Self {
        self.renewal = date(renewal);
        self
    }

    pub fn term(mut self, months: i32) -> Self {
        self.term = months;
        self
    }

    /// GR credits, in cents.
    pub fn credits(mut self, cents: i64) -> Self {
        self.credits_cents = cents;
        self
    }

    /// The member's email and city.
    pub fn contact(mut self, email: &str, city: &str) -> Self {
        self.email = email.into();
        self.city = city.into();
        self
    }

    pub async fn insert<'e, E: sqlx::PgExecutor<'e>>(self, db: E) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO members (first_name, last_name, profession, profession_key, \
             district_id, group_id, group_kind, formula, representative_id, join_date, \
             renewal_date, term_months, gr_credits_cents, email, city) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::char(1), $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(&self.first)
        .bind(&self.last)
        .bind(&self.profession)
        .bind(profession_key(&self.profession))
        .bind(self.district)
        .bind(self.group.as_ref().map(|g| g.0))
        .bind(self.group.as_ref().map(|g| g.1.clone()))
        .bind(&self.formula)
        .bind(self.rep)
        .bind(self.join)
        .bind(self.renewal)
        .bind(self.term)
        .bind(self.credits_cents)
        .bind(&self.email)
        .bind(&self.city)
        .fetch_one(db)
        .await
        .expect("membre")
    }
}

/// A billing request « renouvelle tel quel » for the member's current
/// cycle, in `status`.
pub async fn insert_billing_request(
    pool: &PgPool,
    member: i64,
    requested_by: i64,
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO billing_requests (member_id, cycle, requested_by, decision, status) \
         SELECT id, cycle, $2, 'renew_same', $3 FROM members WHERE id = $1 RETURNING id",
    )
    .bind(member)
    .bind(requested_by)
    .bind(status)
    .fetch_one(pool)
    .await
    .expect("demande de facturation")
}

/// A follow-up already written for the member (for corrections).
pub async fn insert_follow_up(pool: &PgPool, member: i64, author: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO follow_ups (member_id, author_id, channel, body, cycle, state) \
         SELECT id, $2, 'call', 'Appel de courtoisie.', cycle, 'green' FROM members \
         WHERE id = $1 RETURNING id",
    )
    .bind(member)
    .bind(author)
    .fetch_one(pool)
    .await
    .expect("suivi")
}

/// How many rows `sql` (a `SELECT count(*) …`) counts.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .expect("comptage")
}
