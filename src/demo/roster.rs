//! Shifts, one day at a time: plan the day's support, staff it from per-worker timelines (no
//! worker is ever in two places), and stream the segment rows to the month's file.

use std::path::{Path, PathBuf};

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::clock::{self, Clock, DAY, STAMP_LEN, Wall, at};
use super::menu::{self, Svc};
use super::names::NOTES;
use super::provider::{House, Night, Provider};
use super::rows::ShiftFile;
use super::{BadKind, BadRow, DemoError, DemoSpec};
use crate::domain::time::TimeError;

/// Most people the generator puts in one segment (houses are of two or three).
const PEOPLE_MAX: usize = 3;
/// Soft cap on a worker's minutes in a week: beyond it they are asked only when nobody else is free.
const WEEK_CAP_MINUTES: i64 = 48 * 60;
/// The misspelt service of the unknown-service row.
const BAD_SERVICE: &str = "PERSONAL_CAER";
/// Windows (minutes from midnight) for the 1:1 sessions of a house's first, second and third
/// resident; they never overlap each other or the 07:30–09:30 morning support, so somebody is
/// always at home with the core worker.
const SESSION_SLOTS: [(i64, i64); 3] = [
    (9 * 60 + 30, 13 * 60),
    (13 * 60 + 30, 17 * 60),
    (17 * 60 + 30, 21 * 60 + 30),
];

/// One planned segment.
#[derive(Clone, Copy, Debug)]
struct Seg {
    start: Wall,
    end: Wall,
    svc: Svc,
    people: [u32; PEOPLE_MAX],
    count: u8,
    /// Business miles in tenths; 0 = none.
    miles_tenths: u16,
    /// Index into [`NOTES`] plus one; 0 = none.
    note: u8,
}

impl Seg {
    fn new(start: Wall, end: Wall, svc: Svc, people: &[u32]) -> Seg {
        let mut ids = [0; PEOPLE_MAX];
        let count = people.len().min(PEOPLE_MAX);
        ids[..count].copy_from_slice(&people[..count]);
        Seg {
            start,
            end,
            svc,
            people: ids,
            count: count as u8,
            miles_tenths: 0,
            note: 0,
        }
    }

    fn people(&self) -> &[u32] {
        &self.people[..usize::from(self.count)]
    }
}

/// What is deliberately wrong with a planned shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flaw {
    None,
    EndBeforeStart,
    Seconds,
    UnknownPerson,
    UnknownService,
    Ambiguous,
}

/// Where a shift's worker is looked for first.
#[derive(Clone, Copy, Debug)]
enum Pool {
    CostCentre(usize),
    Region(usize),
}

#[derive(Clone, Copy, Debug)]
struct Planned {
    start_utc: i64,
    end_utc: i64,
    pool: Pool,
    first: u32,
    len: u32,
    flaw: Flaw,
}

/// A worker's timeline: when they are next free, and their minutes this week.
#[derive(Clone, Copy, Debug)]
struct Timeline {
    free_from: i64,
    week: i64,
    week_minutes: i64,
    shift_day: i64,
    shifts_today: u32,
}

/// Days of the first month that carry the deliberately broken rows, and the ambiguous time.
struct Specials {
    flawed: [(i64, Flaw); 4],
    overlap_day: i64,
    split_day: i64,
    ambiguous: Option<Wall>,
}

/// Rows of the split shift held back until the end of the month's file.
struct HeldBack {
    worker: u32,
    shift_ref: Vec<u8>,
    segs: Vec<Seg>,
    bad_row: usize,
}

/// What writing the shift files produced.
pub(crate) struct RosterOutcome {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) bad_rows: Vec<BadRow>,
    pub(crate) segments: u64,
    pub(crate) shifts: u64,
    pub(crate) unstaffed: u64,
    /// Estimated charges per person in pence, for sizing budgets.
    pub(crate) charges: Vec<f64>,
}

/// Reusable buffers for one row.
struct RowBuf {
    shift_ref: Vec<u8>,
    end: [u8; STAMP_LEN],
    people: Vec<u8>,
    miles: Vec<u8>,
}

pub(crate) struct Roster<'a> {
    spec: &'a DemoSpec,
    provider: &'a Provider,
    clock: &'a Clock,
    timelines: Vec<Timeline>,
    segs: Vec<Seg>,
    shifts: Vec<Planned>,
    order: Vec<u32>,
    everyone: Vec<u32>,
    sessions: Vec<(Wall, Wall, u32)>,
    calls: Vec<(u32, Svc, i64)>,
    row: RowBuf,
    unknown_person: String,
    outcome: RosterOutcome,
}

impl<'a> Roster<'a> {
    pub(crate) fn new(spec: &'a DemoSpec, provider: &'a Provider, clock: &'a Clock) -> Self {
        let idle = Timeline {
            free_from: i64::MIN,
            week: i64::MIN,
            week_minutes: 0,
            shift_day: i64::MIN,
            shifts_today: 0,
        };
        Roster {
            spec,
            provider,
            clock,
            timelines: vec![idle; provider.workers.len()],
            segs: Vec::new(),
            shifts: Vec::new(),
            order: Vec::new(),
            everyone: (0..provider.workers.len() as u32).collect(),
            sessions: Vec::new(),
            calls: Vec::new(),
            row: RowBuf {
                shift_ref: Vec::with_capacity(24),
                end: [0; STAMP_LEN],
                people: Vec::with_capacity(64),
                miles: Vec::with_capacity(8),
            },
            unknown_person: format!("P{:0width$}", 0, width = provider.person_id_width),
            outcome: RosterOutcome {
                files: Vec::new(),
                bad_rows: Vec::new(),
                segments: 0,
                shifts: 0,
                unstaffed: 0,
                charges: vec![0.0; provider.people.len()],
            },
        }
    }

    /// Writes one file per month, `shifts-YYYY-MM.csv`, into `dir`.
    pub(crate) fn write_months(
        mut self,
        dir: &Path,
        months: &[(i32, u32)],
    ) -> Result<RosterOutcome, DemoError> {
        let Some(&(y0, m0)) = months.first() else {
            return Ok(self.outcome);
        };
        let month_first_day = clock::days_from_civil(y0, m0, 1);
        let last_day = months
            .last()
            .map_or(month_first_day, |&(y, m)| month_end(y, m));
        // The middle of the repeated hour when there is room, e.g. 01:30.
        let ambiguous = (month_first_day..=last_day)
            .find_map(|d| self.clock.first_ambiguous(d))
            .map(|w| if self.is_ambiguous(w + 30) { w + 30 } else { w });
        let specials = Specials {
            flawed: [
                (month_first_day + 1, Flaw::EndBeforeStart),
                (month_first_day + 2, Flaw::Seconds),
                (month_first_day + 3, Flaw::UnknownPerson),
                (month_first_day + 4, Flaw::UnknownService),
            ],
            overlap_day: month_first_day + 5,
            split_day: month_first_day + 6,
            ambiguous,
        };
        for &(year, month) in months {
            let path = dir.join(format!("shifts-{year:04}-{month:02}.csv"));
            let mut file = ShiftFile::create(&path)?;
            let mut held: Option<HeldBack> = None;
            for day in clock::days_from_civil(year, month, 1)..=month_end(year, month) {
                self.plan_day(day, &specials);
                self.staff_and_write(day, &specials, &mut file, &mut held)?;
            }
            if let Some(held) = held.take() {
                self.write_held_back(&mut file, held)?;
            }
            self.outcome.segments += file.rows_written();
            file.finish()?;
            self.outcome.files.push(path);
        }
        Ok(self.outcome)
    }

    fn is_ambiguous(&self, wall: Wall) -> bool {
        let mut buf = [0u8; STAMP_LEN];
        self.clock.write(wall, &mut buf) == STAMP_LEN
    }

    // ---- planning ------------------------------------------------------------------------

    fn begin(&self) -> usize {
        self.segs.len()
    }

    fn push(&mut self, seg: Seg) {
        self.segs.push(seg);
    }

    fn finish(&mut self, first: usize, pool: Pool, flaw: Flaw) {
        let segs = &self.segs[first..];
        let (Some(start), Some(end)) = (
            segs.iter().map(|s| s.start).min(),
            segs.iter().map(|s| s.end).max(),
        ) else {
            return;
        };
        self.shifts.push(Planned {
            start_utc: self.clock.utc(start),
            end_utc: self.clock.utc(end),
            pool,
            first: first as u32,
            len: segs.len() as u32,
            flaw,
        });
    }

    fn plan_day(&mut self, day: i64, specials: &Specials) {
        self.segs.clear();
        self.shifts.clear();
        let mix = (day as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = ChaCha8Rng::seed_from_u64(self.spec.seed ^ mix);
        let provider = self.provider;
        for house in &provider.houses {
            self.plan_house(day, house, &mut rng);
        }
        for region in 0..provider.regions {
            self.plan_community(day, region, &mut rng);
        }
        if let Some(people) = provider.one_offs.get(&day) {
            for &p in people {
                let start = at(day, if rng.random_bool(0.5) { 10 } else { 14 }, 0);
                let first = self.begin();
                self.push(Seg::new(start, start + 120, Svc::PcpFacilitation, &[p]));
                self.finish(
                    first,
                    Pool::Region(provider.people[p as usize].region),
                    Flaw::None,
                );
            }
        }
        let flaw = specials
            .flawed
            .iter()
            .find(|(d, _)| *d == day)
            .map(|&(_, f)| f);
        let bad_start = match (flaw, specials.ambiguous) {
            (Some(flaw), _) => Some((at(day, 10 + rng.random_range(0..6), 0), flaw)),
            (None, Some(wall)) if wall.div_euclid(DAY) == day => Some((wall, Flaw::Ambiguous)),
            _ => None,
        };
        if let Some((start, flaw)) = bad_start.filter(|_| !provider.people.is_empty()) {
            let p = rng.random_range(0..provider.people.len()) as u32;
            let first = self.begin();
            self.push(Seg::new(start, start + 60, Svc::PersonalCare, &[p]));
            self.finish(
                first,
                Pool::CostCentre(provider.people[p as usize].cost_centre),
                flaw,
            );
        }
    }

    /// Contact time of a house's core worker from `from` to `to`, split wherever a resident goes
    /// out for (or comes back from) a 1:1 session: 1:3 becomes 1:2, 1:2 becomes 1:1.
    fn core_contact(
        &mut self,
        from: Wall,
        to: Wall,
        svc: Svc,
        residents: &[u32],
        rng: &mut ChaCha8Rng,
    ) {
        let mut cuts = [0 as Wall; 2 * SESSION_SLOTS.len() + 4];
        let mut n = 0;
        cuts[n] = from;
        n += 1;
        for &(s, e, _) in &self.sessions {
            for t in [s, e] {
                if t > from && t < to && n < cuts.len() - 1 {
                    cuts[n] = t;
                    n += 1;
                }
            }
        }
        cuts[n] = to;
        n += 1;
        cuts[..n].sort_unstable();
        for pair in cuts[..n].windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a == b {
                continue;
            }
            let mut home = [0u32; PEOPLE_MAX];
            let mut count = 0;
            for &r in residents {
                let out = self
                    .sessions
                    .iter()
                    .any(|&(s, e, p)| p == r && s <= a && e >= b);
                if !out && count < PEOPLE_MAX {
                    home[count] = r;
                    count += 1;
                }
            }
            let mut seg = if count == 0 {
                Seg::new(a, b, Svc::Handover, &[])
            } else {
                Seg::new(a, b, svc, &home[..count])
            };
            seg.note = maybe_note(rng, 0.03);
            self.push(seg);
        }
    }

    fn plan_house(&mut self, day: i64, house: &House, rng: &mut ChaCha8Rng) {
        let provider = self.provider;
        let pool = Pool::CostCentre(house.cost_centre);
        let wd = clock::weekday(day);
        let out_day = clock::is_weekend(day) || menu::is_bank_holiday(day);
        self.sessions.clear();
        // Busy mornings: a second worker gives one resident 1:1 personal care, in turn.
        let turn = day.rem_euclid(house.residents.len().max(1) as i64) as usize;
        if let Some(&r) = house.residents.get(turn)
            && rng.random_bool(house.morning_chance())
        {
            let (start, end) = (at(day, 7, 30), at(day, 9, 30));
            self.sessions.push((start, end, r));
            let first = self.begin();
            let mut seg = Seg::new(start, end, Svc::PersonalCare, &[r]);
            seg.note = maybe_note(rng, 0.03);
            self.push(seg);
            self.finish(first, pool, Flaw::None);
        }
        for (slot, &r) in house.residents.iter().enumerate() {
            let Some(ind) = &provider.people[r as usize].individual else {
                continue;
            };
            if ind.days & (1 << wd) == 0 || !rng.random_bool(0.93) {
                continue;
            }
            let (lo, hi) = SESSION_SLOTS[slot.min(SESSION_SLOTS.len() - 1)];
            let start = at(day, 0, lo + 15 * rng.random_range(0..=2));
            let end = (start + ind.minutes).min(at(day, 0, hi));
            self.sessions.push((start, end, r));
            let first = self.begin();
            let mut seg = Seg::new(start, end, ind.svc, &[r]);
            if ind.svc == Svc::CommunityAccess && rng.random_bool(0.3) {
                seg.miles_tenths = rng.random_range(20..=180);
            }
            seg.note = maybe_note(rng, 0.05);
            self.push(seg);
            self.finish(first, pool, Flaw::None);
        }
        let residents = house.residents.as_slice();
        let afternoon = if out_day || rng.random_bool(0.4) {
            Svc::CommunityAccess
        } else {
            Svc::PersonalCare
        };
        match house.night {
            Night::SleepIn => {
                // Early 07:00–14:30 with a half-hour break.
                let first = self.begin();
                self.push(Seg::new(at(day, 7, 0), at(day, 7, 15), Svc::Handover, &[]));
                self.core_contact(
                    at(day, 7, 15),
                    at(day, 11, 30),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.core_contact(at(day, 12, 0), at(day, 14, 30), afternoon, residents, rng);
                self.finish(first, pool, Flaw::None);
                // Late 14:30–22:00, and the sleep-in from 22:00, often by the same worker.
                let combined = rng.random_bool(house.combine_chance);
                let first = self.begin();
                self.push(Seg::new(
                    at(day, 14, 30),
                    at(day, 14, 45),
                    Svc::Handover,
                    &[],
                ));
                self.core_contact(
                    at(day, 14, 45),
                    at(day, 18, 0),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.core_contact(
                    at(day, 18, 30),
                    at(day, 22, 0),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                if !combined {
                    self.finish(first, pool, Flaw::None);
                }
                let night_first = if combined { first } else { self.begin() };
                self.core_contact(
                    at(day, 22, 0),
                    at(day, 23, 0),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.sleep_in(day, house, rng);
                self.finish(night_first, pool, Flaw::None);
            }
            Night::WakingNight => {
                let first = self.begin();
                self.push(Seg::new(at(day, 8, 0), at(day, 8, 15), Svc::Handover, &[]));
                self.core_contact(
                    at(day, 8, 15),
                    at(day, 11, 45),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.core_contact(at(day, 12, 15), at(day, 15, 0), afternoon, residents, rng);
                self.finish(first, pool, Flaw::None);
                let first = self.begin();
                self.push(Seg::new(
                    at(day, 15, 0),
                    at(day, 15, 15),
                    Svc::Handover,
                    &[],
                ));
                self.core_contact(
                    at(day, 15, 15),
                    at(day, 18, 0),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.core_contact(
                    at(day, 18, 30),
                    at(day, 22, 0),
                    Svc::PersonalCare,
                    residents,
                    rng,
                );
                self.finish(first, pool, Flaw::None);
                let first = self.begin();
                let mut seg = Seg::new(
                    at(day, 22, 0),
                    at(day + 1, 8, 0),
                    Svc::WakingNight,
                    residents,
                );
                seg.note = maybe_note(rng, 0.05);
                self.push(seg);
                self.finish(first, pool, Flaw::None);
            }
        }
    }

    /// 23:00–07:00 sleep-in for the whole house; sometimes a resident needs the worker awake
    /// (02:00–06:30, never in the hour the clocks change), which splits the sleep-in in two.
    fn sleep_in(&mut self, day: i64, house: &House, rng: &mut ChaCha8Rng) {
        let (start, end) = (at(day, 23, 0), at(day + 1, 7, 0));
        let residents = house.residents.as_slice();
        if rng.random_bool(house.awake_chance) {
            let awake = at(day + 1, 2, 0) + 15 * rng.random_range(0..=12);
            let until = awake + 15 * rng.random_range(1..=6);
            let who = residents.choose(rng).copied().unwrap_or(0);
            self.push(Seg::new(start, awake, Svc::SleepIn, residents));
            let mut seg = Seg::new(awake, until, Svc::SleepInAwake, &[who]);
            seg.note = maybe_note(rng, 0.2);
            self.push(seg);
            self.push(Seg::new(until, end, Svc::SleepIn, residents));
        } else {
            self.push(Seg::new(start, end, Svc::SleepIn, residents));
        }
    }

    fn plan_community(&mut self, day: i64, region: usize, rng: &mut ChaCha8Rng) {
        let provider = self.provider;
        let Some(team) = provider.community_team[region] else {
            return;
        };
        let pool = Pool::CostCentre(team);
        let wd = clock::weekday(day);
        for round in 0..2 {
            self.calls.clear();
            for &p in &provider.community_people[region] {
                let Some(plan) = &provider.people[p as usize].community else {
                    continue;
                };
                let call = if round == 0 {
                    plan.morning
                } else {
                    plan.evening
                };
                if plan.days & (1 << wd) != 0
                    && rng.random_bool(0.97)
                    && let Some((svc, minutes)) = call
                {
                    self.calls.push((p, svc, minutes));
                }
            }
            self.calls.shuffle(rng);
            let (base, limit) = if round == 0 {
                (at(day, 7, 0), at(day, 14, 0))
            } else {
                (at(day, 16, 30), at(day, 22, 30))
            };
            let mut next = 0;
            while next < self.calls.len() {
                let size = rng.random_range(2..=4);
                let first = self.begin();
                let mut cursor = base + 15 * rng.random_range(0..=4);
                let mut in_run = 0;
                while next < self.calls.len() && in_run < size {
                    let (p, svc, minutes) = self.calls[next];
                    let travel = if in_run == 0 {
                        0
                    } else {
                        5 * rng.random_range(2..=5)
                    };
                    let pause = if in_run > 0 && rng.random_bool(0.12) {
                        15 * rng.random_range(1..=2)
                    } else {
                        0
                    };
                    if in_run > 0 && cursor + pause + travel + minutes > limit {
                        break;
                    }
                    cursor += pause;
                    if travel > 0 {
                        let mut seg = Seg::new(cursor, cursor + travel, Svc::Travel, &[]);
                        if rng.random_bool(0.85) {
                            seg.miles_tenths = (travel * rng.random_range(3..=8)) as u16;
                        }
                        self.push(seg);
                        cursor += travel;
                    }
                    let mut seg = Seg::new(cursor, cursor + minutes, svc, &[p]);
                    seg.note = maybe_note(rng, 0.03);
                    self.push(seg);
                    cursor += minutes;
                    next += 1;
                    in_run += 1;
                }
                self.finish(first, pool, Flaw::None);
            }
        }
        for &p in &provider.community_people[region] {
            let Some(plan) = &provider.people[p as usize].community else {
                continue;
            };
            if plan.outreach_days & (1 << wd) == 0 {
                continue;
            }
            let first = self.begin();
            let mut cursor = at(
                day,
                10 + rng.random_range(0..=2),
                15 * rng.random_range(0..4),
            );
            if rng.random_bool(0.5) {
                let travel = 5 * rng.random_range(3..=5);
                let mut seg = Seg::new(cursor, cursor + travel, Svc::Travel, &[]);
                seg.miles_tenths = (travel * rng.random_range(3..=8)) as u16;
                self.push(seg);
                cursor += travel;
            }
            let mut seg = Seg::new(
                cursor,
                cursor + plan.outreach_minutes,
                Svc::CommunityAccess,
                &[p],
            );
            if rng.random_bool(0.3) {
                seg.miles_tenths = rng.random_range(30..=250);
            }
            seg.note = maybe_note(rng, 0.1);
            self.push(seg);
            self.finish(first, pool, Flaw::None);
        }
    }

    // ---- staffing ------------------------------------------------------------------------

    fn best_in(&self, staff: &[u32], start: i64, minutes: i64) -> Option<(bool, i64, u32)> {
        let week = week_of(start);
        let mut best: Option<(bool, i64, u32)> = None;
        for &w in staff {
            let t = &self.timelines[w as usize];
            if t.free_from > start {
                continue;
            }
            let done = if t.week == week { t.week_minutes } else { 0 };
            let key = (done + minutes > WEEK_CAP_MINUTES, done, w);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        best
    }

    /// The free worker with the fewest minutes this week: from the shift's own team first, then
    /// the region, then anyone.
    fn pick(&self, shift: &Planned) -> Option<u32> {
        let provider = self.provider;
        let minutes = shift.end_utc - shift.start_utc;
        let (own, region) = match shift.pool {
            Pool::CostCentre(c) => (
                provider.cost_centre_staff.get(c),
                provider.cost_centres.get(c).map(|cc| cc.region),
            ),
            Pool::Region(r) => (None, Some(r)),
        };
        let mut best = own.and_then(|s| self.best_in(s, shift.start_utc, minutes));
        if best.is_none_or(|b| b.0)
            && let Some(r) = region
        {
            let wider = self.best_in(&provider.region_staff[r], shift.start_utc, minutes);
            best = best.into_iter().chain(wider).min();
        }
        if best.is_none() {
            best = self.best_in(&self.everyone, shift.start_utc, minutes);
        }
        best.map(|b| b.2)
    }

    fn book(&mut self, worker: u32, shift: &Planned, day: i64) -> u32 {
        let minutes = shift.end_utc - shift.start_utc;
        let week = week_of(shift.start_utc);
        let t = &mut self.timelines[worker as usize];
        if t.week != week {
            t.week = week;
            t.week_minutes = 0;
        }
        t.week_minutes += minutes;
        // An hour between short calls; a proper rest after anything of six hours or more.
        t.free_from = shift.end_utc + if minutes >= 360 { 8 * 60 } else { 60 };
        if t.shift_day != day {
            t.shift_day = day;
            t.shifts_today = 0;
        }
        t.shifts_today += 1;
        t.shifts_today
    }

    fn staff_and_write(
        &mut self,
        day: i64,
        specials: &Specials,
        file: &mut ShiftFile,
        held: &mut Option<HeldBack>,
    ) -> Result<(), DemoError> {
        self.order.clear();
        self.order.extend(0..self.shifts.len() as u32);
        let shifts = &self.shifts;
        self.order
            .sort_by_key(|&i| (shifts[i as usize].start_utc, i));
        let mut split_done = day != specials.split_day;
        let mut overlap_done = day != specials.overlap_day;
        for k in 0..self.order.len() {
            let shift = self.shifts[self.order[k] as usize];
            let Some(worker) = self.pick(&shift) else {
                self.outcome.unstaffed += 1;
                continue;
            };
            let seq = self.book(worker, &shift, day);
            self.set_shift_ref(day, seq);
            let range = shift.first as usize..(shift.first + shift.len) as usize;
            if shift.flaw != Flaw::None {
                self.write_flawed(file, worker, &shift)?;
                continue;
            }
            self.outcome.shifts += 1;
            self.estimate(range.clone());
            if !split_done && shift.len >= 3 {
                split_done = true;
                let row = self.write_segs(file, worker, range.start..range.start + 1)?;
                self.outcome.bad_rows.push(BadRow {
                    kind: BadKind::SplitRows,
                    file: file.path().to_path_buf(),
                    row,
                    worker_id: self.provider.workers[worker as usize].id.clone(),
                    shift_ref: String::from_utf8_lossy(&self.row.shift_ref).into_owned(),
                    field: "shift_ref",
                    reason: String::new(),
                    rejected: false,
                });
                *held = Some(HeldBack {
                    worker,
                    shift_ref: self.row.shift_ref.clone(),
                    segs: self.segs[range.start + 1..range.end].to_vec(),
                    bad_row: self.outcome.bad_rows.len() - 1,
                });
                continue;
            }
            self.write_segs(file, worker, range.clone())?;
            let first = self.segs[range.start..range.end]
                .iter()
                .copied()
                .find(|s| s.count > 0 && s.end - s.start >= 90);
            if let (false, Some(seg)) = (overlap_done, first) {
                overlap_done = true;
                self.write_overlap(file, worker, day, seg)?;
            }
        }
        Ok(())
    }

    // ---- writing -------------------------------------------------------------------------

    fn set_shift_ref(&mut self, day: i64, seq: u32) {
        let mut date = [0u8; 10];
        clock::write_date(day, &mut date);
        let r = &mut self.row.shift_ref;
        r.clear();
        r.push(b'S');
        r.extend(date.iter().copied().filter(u8::is_ascii_digit));
        r.push(b'-');
        push_number(r, u64::from(seq));
    }

    fn render_people(&mut self, people: &[u32]) {
        let out = &mut self.row.people;
        out.clear();
        for (i, &p) in people.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(self.provider.people[p as usize].id.as_bytes());
        }
    }

    fn render_miles(&mut self, tenths: u16) {
        let out = &mut self.row.miles;
        out.clear();
        if tenths > 0 {
            push_number(out, u64::from(tenths / 10));
            out.push(b'.');
            out.push(b'0' + (tenths % 10) as u8);
        }
    }

    /// Writes segments of the current shift (`self.row.shift_ref`); returns the first row number.
    fn write_segs(
        &mut self,
        file: &mut ShiftFile,
        worker: u32,
        range: std::ops::Range<usize>,
    ) -> Result<u64, DemoError> {
        let mut first_row = None;
        for i in range {
            let seg = self.segs[i];
            let row = self.write_seg(file, worker, &seg)?;
            first_row.get_or_insert(row);
        }
        Ok(first_row.unwrap_or(0))
    }

    fn write_seg(
        &mut self,
        file: &mut ShiftFile,
        worker: u32,
        seg: &Seg,
    ) -> Result<u64, DemoError> {
        let mut start = [0u8; STAMP_LEN];
        let start_len = self.clock.write(seg.start, &mut start);
        let end_len = self.clock.write(seg.end, &mut self.row.end);
        self.render_people(seg.people());
        self.render_miles(seg.miles_tenths);
        let note = if seg.note == 0 {
            ""
        } else {
            NOTES[usize::from(seg.note - 1) % NOTES.len()]
        };
        file.write_row([
            &self.row.shift_ref,
            self.provider.workers[worker as usize].id.as_bytes(),
            &start[..start_len],
            &self.row.end[..end_len],
            seg.svc.code().as_bytes(),
            &self.row.people,
            &self.row.miles,
            note.as_bytes(),
        ])
    }

    fn write_held_back(&mut self, file: &mut ShiftFile, held: HeldBack) -> Result<(), DemoError> {
        self.row.shift_ref.clone_from(&held.shift_ref);
        let mut rows = Vec::with_capacity(held.segs.len());
        for seg in &held.segs {
            rows.push(self.write_seg(file, held.worker, seg)?.to_string());
        }
        if let Some(bad) = self.outcome.bad_rows.get_mut(held.bad_row) {
            bad.reason = format!(
                "valid: the shift's first row is row {} and its other rows are rows {}, at the end of the file; row order must not matter",
                bad.row,
                rows.join(", ")
            );
        }
        Ok(())
    }

    /// A second shift of the same worker inside one just written: rejected as overlapping it.
    fn write_overlap(
        &mut self,
        file: &mut ShiftFile,
        worker: u32,
        day: i64,
        seg: Seg,
    ) -> Result<(), DemoError> {
        let original = String::from_utf8_lossy(&self.row.shift_ref).into_owned();
        let seq = self.book_extra(worker, day);
        self.set_shift_ref(day, seq);
        let copy = Seg {
            start: seg.start + 30,
            end: (seg.start + 90).min(seg.end),
            note: 0,
            miles_tenths: 0,
            ..seg
        };
        let row = self.write_seg(file, worker, &copy)?;
        let worker_id = self.provider.workers[worker as usize].id.clone();
        self.outcome.bad_rows.push(BadRow {
            kind: BadKind::Overlap,
            file: file.path().to_path_buf(),
            row,
            reason: format!("overlaps shift '{original}' of worker '{worker_id}'"),
            worker_id,
            shift_ref: String::from_utf8_lossy(&self.row.shift_ref).into_owned(),
            field: "start",
            rejected: true,
        });
        Ok(())
    }

    /// Counts an extra shift number for the worker's day without touching their timeline.
    fn book_extra(&mut self, worker: u32, day: i64) -> u32 {
        let t = &mut self.timelines[worker as usize];
        if t.shift_day != day {
            t.shift_day = day;
            t.shifts_today = 0;
        }
        t.shifts_today += 1;
        t.shifts_today
    }

    fn write_flawed(
        &mut self,
        file: &mut ShiftFile,
        worker: u32,
        shift: &Planned,
    ) -> Result<(), DemoError> {
        let seg = self.segs[shift.first as usize];
        let mut start = [0u8; STAMP_LEN + 3];
        let mut stamp = [0u8; STAMP_LEN];
        let mut start_len = self.clock.write(seg.start, &mut stamp);
        start[..STAMP_LEN].copy_from_slice(&stamp);
        let mut end_len = self.clock.write(seg.end, &mut self.row.end);
        let mut service = seg.svc.code();
        self.render_people(seg.people());
        let (kind, field, reason) = match shift.flaw {
            Flaw::EndBeforeStart => {
                start_len = self.clock.write(seg.end, &mut stamp);
                start[..STAMP_LEN].copy_from_slice(&stamp);
                end_len = self.clock.write(seg.start, &mut self.row.end);
                let reason = format!(
                    "end '{}' is not after start '{}'",
                    text(&self.row.end[..end_len]),
                    text(&start[..start_len])
                );
                (BadKind::EndBeforeStart, "end", reason)
            }
            Flaw::Seconds => {
                clock::write_plain(seg.start, &mut stamp);
                start[..16].copy_from_slice(&stamp[..16]);
                start[16..19].copy_from_slice(b":30");
                start_len = 19;
                (
                    BadKind::Seconds,
                    "start",
                    TimeError::Seconds(text(&start[..19])).to_string(),
                )
            }
            Flaw::UnknownPerson => {
                self.row.people.clear();
                self.row
                    .people
                    .extend_from_slice(self.unknown_person.as_bytes());
                (
                    BadKind::UnknownPerson,
                    "people",
                    format!("unknown person '{}'", self.unknown_person),
                )
            }
            Flaw::UnknownService => {
                service = BAD_SERVICE;
                (
                    BadKind::UnknownService,
                    "service",
                    format!("unknown service '{BAD_SERVICE}'"),
                )
            }
            Flaw::Ambiguous => {
                clock::write_plain(seg.start, &mut stamp);
                start[..16].copy_from_slice(&stamp[..16]);
                start_len = 16;
                (
                    BadKind::Ambiguous,
                    "start",
                    TimeError::Ambiguous(text(&start[..16])).to_string(),
                )
            }
            Flaw::None => return Ok(()),
        };
        let row = file.write_row([
            &self.row.shift_ref,
            self.provider.workers[worker as usize].id.as_bytes(),
            &start[..start_len],
            &self.row.end[..end_len],
            service.as_bytes(),
            &self.row.people,
            b"",
            b"",
        ])?;
        self.outcome.bad_rows.push(BadRow {
            kind,
            file: file.path().to_path_buf(),
            row,
            worker_id: self.provider.workers[worker as usize].id.clone(),
            shift_ref: String::from_utf8_lossy(&self.row.shift_ref).into_owned(),
            field,
            reason,
            rejected: true,
        });
        Ok(())
    }

    /// Adds the shift's rough charges to each person's running total (budget sizing only).
    fn estimate(&mut self, range: std::ops::Range<usize>) {
        let mut night_charged = false;
        for i in range {
            let seg = self.segs[i];
            let k = u32::from(seg.count);
            if k == 0 {
                continue;
            }
            let amount = if seg.svc == Svc::SleepIn {
                if night_charged {
                    continue;
                }
                night_charged = true;
                menu::estimate_night(seg.start, k)
            } else {
                let minutes = self.clock.utc(seg.end) - self.clock.utc(seg.start);
                menu::estimate_hourly(seg.svc, seg.start, minutes, k)
            };
            for &p in seg.people() {
                self.outcome.charges[p as usize] += amount;
            }
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn push_number(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut n = digits.len();
    loop {
        n -= 1;
        digits[n] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[n..]);
}

fn maybe_note(rng: &mut ChaCha8Rng, chance: f64) -> u8 {
    if rng.random_bool(chance) {
        rng.random_range(1..=NOTES.len() as u8)
    } else {
        0
    }
}

/// Monday-based week number of a UTC minute (close enough to local weeks for the soft cap).
fn week_of(utc_minute: i64) -> i64 {
    (utc_minute.div_euclid(DAY) + 3).div_euclid(7)
}

/// The last day number of a month.
pub(crate) fn month_end(year: i32, month: u32) -> i64 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    clock::days_from_civil(ny, nm, 1) - 1
}
