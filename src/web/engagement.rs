//! The engagement block of the member file (and of the « 3 mois avant » /
//! « 2 mois avant » action plan): the last six months at the group's
//! meetings, the trend against the six before, and a chart by month.
use chrono::NaiveDate;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart};
use crate::domain::engagement::{self as eng, Summary, Totals, Trend};
use crate::domain::engagement_light::{self as light, Light, Verdict};
use crate::domain::report::Month;
use crate::domain::timeline::add_months;
use crate::store::{engagement_thresholds, meetings};

/// One figure with its trend, as shown.
pub struct Figure {
    pub value: String,
    pub what: &'static str,
    pub trend: Trend,
    /// « en baisse (de 80 % à 55 %) ».
    pub trend_text: String,
}

pub struct EngagementBlock {
    /// The member's group, for the link to its meetings.
    pub group: Option<(i64, String)>,
    /// Nothing recorded in 12 months: the sentence to show instead.
    pub empty: Option<String>,
    pub figures: Vec<Figure>,
    pub meetings: i64,
    pub attendance_chart: BarChart,
    pub referrals_chart: BarChart,
    /// The engagement light and its one-line reason.
    pub light: Verdict,
    /// The light's rule in force, one sentence per colour.
    pub rule: Vec<(Light, String)>,
}

fn rate_text(r: Option<f64>) -> String {
    // Rounded half up, as the engagement light reads it.
    r.map_or("—".into(), |r| format!("{:.0} %", r.round()))
}

fn trend_text(trend: Trend, before: String, now: String) -> String {
    match trend {
        Trend::Unknown => "rien à comparer sur les 6 mois d'avant".into(),
        t => format!("{} (de {before} à {now})", t.words()),
    }
}

fn count_figure(what: &'static str, now: i64, before: i64, trend: Trend) -> Figure {
    Figure {
        value: now.to_string(),
        what,
        trend,
        trend_text: trend_text(trend, before.to_string(), now.to_string()),
    }
}

fn figures(s: &Summary) -> Vec<Figure> {
    let (r, b) = (&s.recent, &s.before);
    let attendance = s.attendance_trend();
    vec![
        Figure {
            value: rate_text(r.attendance_rate()),
            what: "présence",
            trend: attendance,
            trend_text: trend_text(
                attendance,
                rate_text(b.attendance_rate()),
                rate_text(r.attendance_rate()),
            ),
        },
        count_figure(
            "références reçues",
            r.received,
            b.received,
            s.received_trend(),
        ),
        count_figure("références données", r.given, b.given, s.given_trend()),
        count_figure(
            "visiteurs amenés",
            r.visitors,
            b.visitors,
            s.visitors_trend(),
        ),
        count_figure(
            "tête-à-tête",
            r.one_to_ones,
            b.one_to_ones,
            s.one_to_ones_trend(),
        ),
    ]
}

fn month_bars(s: &Summary, value: impl Fn(&Totals) -> (Vec<f64>, String)) -> Vec<BarInput> {
    s.months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let month = Month::of(m.month);
            let (values, top_label) = value(&m.totals);
            BarInput {
                label: month.abbreviation().to_string(),
                sublabel: month.axis_year(i == 0),
                values,
                top_label,
                muted: false,
            }
        })
        .collect()
}

fn charts(s: &Summary) -> (BarChart, BarChart) {
    let span = match (s.months.first(), s.months.last()) {
        (Some(a), Some(b)) => format!(
            "de {} à {}",
            Month::of(a.month).label(),
            Month::of(b.month).label()
        ),
        _ => String::new(),
    };
    let rates: Vec<String> = s
        .months
        .iter()
        .map(|m| {
            format!(
                "{} : {}",
                Month::of(m.month).label(),
                rate_text(m.totals.attendance_rate())
            )
        })
        .collect();
    let attendance = bar_chart(
        "presence-mois",
        &format!("Présence aux rencontres par mois, {span}"),
        &format!(
            "Part des rencontres où le membre était présent ou remplacé. {}.",
            rates.join(" ; ")
        ),
        vec![Series {
            class: "brand",
            label: "Présence".into(),
        }],
        month_bars(s, |t| {
            (
                vec![t.attendance_rate().unwrap_or(0.0)],
                rate_text(t.attendance_rate()),
            )
        }),
        Axis::Percent,
    );
    let counts: Vec<String> = s
        .months
        .iter()
        .map(|m| {
            format!(
                "{} : {} reçue(s), {} donnée(s)",
                Month::of(m.month).label(),
                m.totals.received,
                m.totals.given
            )
        })
        .collect();
    let referrals = bar_chart(
        "references-mois",
        &format!("Références reçues et données par mois, {span}"),
        &format!("{}.", counts.join(" ; ")),
        vec![
            Series {
                class: "renewed",
                label: "Reçues".into(),
            },
            Series {
                class: "followed",
                label: "Données".into(),
            },
        ],
        month_bars(s, |t| {
            (
                vec![t.received as f64, t.given as f64],
                // The values are written on the segments; an empty month says 0.
                if t.received + t.given == 0 {
                    "0".to_string()
                } else {
                    String::new()
                },
            )
        }),
        Axis::Counts,
    );
    (attendance, referrals)
}

/// The block for a member: one index range over their last 12 months.
pub async fn member_block(
    pool: &sqlx::PgPool,
    member_id: i64,
    group: Option<(i64, String)>,
    formula_label: &str,
    today: NaiveDate,
) -> Result<EngagementBlock, sqlx::Error> {
    let lines = meetings::member_lines(pool, member_id, add_months(today, -12), today).await?;
    let summary = eng::summarise(&lines, today);
    let meetings = summary.recent.meetings;
    let empty = (summary.recent.meetings + summary.before.meetings == 0).then(|| {
        if group.is_some() {
            "Aucune rencontre consignée pour ce membre depuis 12 mois.".to_string()
        } else {
            format!(
                "Ce membre n'a pas de groupe ({}) : aucune participation à une rencontre \
                 n'est consignée.",
                formula_label.to_lowercase()
            )
        }
    });
    let (attendance_chart, referrals_chart) = charts(&summary);
    let thresholds = engagement_thresholds::load(pool).await?;
    let light = light::judge(group.is_some().then_some(&summary), &thresholds);
    Ok(EngagementBlock {
        light,
        rule: thresholds.sentences(),
        group,
        empty,
        figures: figures(&summary),
        meetings,
        attendance_chart,
        referrals_chart,
    })
}
