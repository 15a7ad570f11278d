//! The synthetic provider's population, drawn from the seed: regions, cost centres, houses, the
//! people supported and their plans, workers, payers and funding arrangements.

use std::collections::BTreeMap;

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DemoSpec;
use super::clock;
use super::menu::Svc;
use super::names::{FIRST_NAMES, REGIONS, RELATIONS, SURNAMES};

/// Share of each region's people who live in supported-living houses.
const HOUSE_SHARE: f64 = 0.6;
/// Houses per supported-living cost centre.
const HOUSES_PER_COST_CENTRE: usize = 4;
/// The lowest hourly pay: the 2026 National Living Wage for workers aged 21 and over.
pub(crate) const NATIONAL_LIVING_WAGE_PENCE: i64 = 1_271;
/// The highest hourly pay in the demo.
const TOP_RATE_PENCE: i64 = 1_450;

/// How a house is covered overnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Night {
    /// 23:00–07:00 sleep-in, with a 22:00–23:00 contact hour before it.
    SleepIn,
    /// 22:00–08:00 waking night.
    WakingNight,
}

/// A supported-living house of two or three people sharing core support.
pub(crate) struct House {
    pub(crate) cost_centre: usize,
    pub(crate) residents: Vec<u32>,
    pub(crate) night: Night,
    /// Chance that the late worker stays on for the sleep-in (one long shift).
    pub(crate) combine_chance: f64,
    /// Chance that a sleep-in has an awake period.
    pub(crate) awake_chance: f64,
}

impl House {
    /// Chance on a day of a 07:30–09:30 morning-support session for one resident.
    pub(crate) fn morning_chance(&self) -> f64 {
        if self.residents.len() >= 3 { 0.7 } else { 0.3 }
    }
}

/// Individual (1:1) hours of a house resident, away from the shared support.
pub(crate) struct Individual {
    /// Weekdays with a session, bit 0 = Monday.
    pub(crate) days: u8,
    pub(crate) minutes: i64,
    pub(crate) svc: Svc,
}

/// The visits a person living in their own home receives.
pub(crate) struct CommunityPlan {
    /// Weekdays with calls, bit 0 = Monday.
    pub(crate) days: u8,
    pub(crate) morning: Option<(Svc, i64)>,
    pub(crate) evening: Option<(Svc, i64)>,
    /// Weekdays with a longer outreach session.
    pub(crate) outreach_days: u8,
    pub(crate) outreach_minutes: i64,
}

pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) cost_centre: usize,
    pub(crate) region: usize,
    pub(crate) document_format: &'static str,
    pub(crate) contact_name: String,
    pub(crate) contact_email: String,
    pub(crate) individual: Option<Individual>,
    pub(crate) community: Option<CommunityPlan>,
}

pub(crate) struct CostCentre {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) region: usize,
    pub(crate) manager_email: String,
}

pub(crate) struct Worker {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) payroll_number: String,
    pub(crate) cost_centre: usize,
    pub(crate) base_rate_pence: i64,
    pub(crate) date_of_birth: i64,
}

pub(crate) struct Payer {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) email: String,
    pub(crate) address: String,
}

/// One row of the arrangements file.
pub(crate) struct Arrangement {
    pub(crate) person: u32,
    pub(crate) payer: usize,
    pub(crate) kind: &'static str,
    pub(crate) share_percent: Option<u32>,
    pub(crate) weekly_pence: Option<i64>,
}

/// Everything about the provider that the files are written from.
pub(crate) struct Provider {
    pub(crate) regions: usize,
    pub(crate) cost_centres: Vec<CostCentre>,
    pub(crate) houses: Vec<House>,
    pub(crate) people: Vec<Person>,
    pub(crate) workers: Vec<Worker>,
    pub(crate) payers: Vec<Payer>,
    pub(crate) arrangements: Vec<Arrangement>,
    /// The council payer with its own personal-care prices.
    pub(crate) override_payer: usize,
    /// People living in their own homes, per region.
    pub(crate) community_people: Vec<Vec<u32>>,
    /// The community team's cost centre, per region.
    pub(crate) community_team: Vec<Option<usize>>,
    /// Workers of each cost centre, and of each region.
    pub(crate) cost_centre_staff: Vec<Vec<u32>>,
    pub(crate) region_staff: Vec<Vec<u32>>,
    /// Person-centred plan facilitation one-offs: day number → people.
    pub(crate) one_offs: BTreeMap<i64, Vec<u32>>,
    /// Width of the zero-padded number in person ids.
    pub(crate) person_id_width: usize,
}

fn full_name(rng: &mut ChaCha8Rng) -> (&'static str, &'static str) {
    let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Sam");
    let last = SURNAMES.choose(rng).copied().unwrap_or("Smith");
    (first, last)
}

fn email_part(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn weekday_mask(rng: &mut ChaCha8Rng, counts: std::ops::RangeInclusive<usize>) -> u8 {
    let count = rng.random_range(counts);
    let mut days: Vec<u8> = (0..7).collect();
    days.shuffle(rng);
    days.iter().take(count).fold(0, |mask, d| mask | (1 << d))
}

/// Splits `total` into parts proportional to `weights` (largest remainder, ties to the lowest index).
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(weights.len() * 2) {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

impl Provider {
    /// Builds the population for `spec` over the days `first_day..=last_day`.
    pub(crate) fn build(spec: &DemoSpec, first_day: i64, last_day: i64) -> Provider {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let regions = (1 + spec.people / 100)
            .clamp(3, REGIONS.len())
            .min(spec.people.max(1));
        let person_id_width = spec.people.to_string().len().max(4);
        let mut provider = Provider {
            regions,
            cost_centres: Vec::new(),
            houses: Vec::new(),
            people: Vec::with_capacity(spec.people),
            workers: Vec::with_capacity(spec.workers),
            payers: Vec::new(),
            arrangements: Vec::new(),
            override_payer: 0,
            community_people: vec![Vec::new(); regions],
            community_team: vec![None; regions],
            cost_centre_staff: Vec::new(),
            region_staff: vec![Vec::new(); regions],
            one_offs: BTreeMap::new(),
            person_id_width,
        };
        provider.build_places_and_people(spec, &mut rng);
        provider.build_plans(&mut rng, first_day, last_day);
        provider.build_payers(&mut rng);
        provider.build_workers(spec, &mut rng, first_day);
        provider
    }

    fn build_places_and_people(&mut self, spec: &DemoSpec, rng: &mut ChaCha8Rng) {
        for (region, info) in REGIONS.iter().enumerate().take(self.regions) {
            let from = region * spec.people / self.regions;
            let to = (region + 1) * spec.people / self.regions;
            let count = to - from;
            let in_houses = (count as f64 * HOUSE_SHARE).round() as usize;
            // Houses of two or three, filled from the region's first people.
            let mut sizes = Vec::new();
            let mut placed = 0;
            while in_houses - placed >= 2 {
                let size = if in_houses - placed >= 3 && rng.random_bool(0.5) {
                    3
                } else {
                    2
                };
                sizes.push(size);
                placed += size;
            }
            let mut person = from;
            for (cluster, chunk) in sizes.chunks(HOUSES_PER_COST_CENTRE).enumerate() {
                let town = info.towns[cluster % info.towns.len()];
                let round = cluster / info.towns.len();
                let suffix = if round == 0 {
                    String::new()
                } else {
                    format!(" {}", round + 1)
                };
                let cost_centre = self.cost_centres.len();
                self.cost_centres.push(CostCentre {
                    id: format!("{}-SL{:02}", info.code, cluster + 1),
                    name: format!("{town} Supported Living{suffix}"),
                    region,
                    manager_email: format!(
                        "manager.{}-sl{:02}@provider.example",
                        info.code.to_ascii_lowercase(),
                        cluster + 1
                    ),
                });
                for &size in chunk {
                    let night = if rng.random_bool(0.7) {
                        Night::SleepIn
                    } else {
                        Night::WakingNight
                    };
                    let residents: Vec<u32> = (person..person + size).map(|p| p as u32).collect();
                    person += size;
                    self.houses.push(House {
                        cost_centre,
                        residents,
                        night,
                        combine_chance: if rng.random_bool(0.3) { 0.7 } else { 0.05 },
                        awake_chance: rng.random_range(0.05..0.35),
                    });
                }
            }
            let house_people_end = person;
            let community_team = (house_people_end < to).then(|| {
                let cost_centre = self.cost_centres.len();
                self.cost_centres.push(CostCentre {
                    id: format!("{}-COM", info.code),
                    name: format!("{} Community Team", info.name),
                    region,
                    manager_email: format!(
                        "manager.{}-com@provider.example",
                        info.code.to_ascii_lowercase()
                    ),
                });
                cost_centre
            });
            self.community_team[region] = community_team;
            let mut house_of_person = vec![usize::MAX; to - from];
            for (h, house) in self.houses.iter().enumerate() {
                for &r in &house.residents {
                    if (from..to).contains(&(r as usize)) {
                        house_of_person[r as usize - from] = h;
                    }
                }
            }
            for p in from..to {
                let house = house_of_person[p - from];
                let cost_centre = if house == usize::MAX {
                    self.community_people[region].push(p as u32);
                    community_team.unwrap_or(0)
                } else {
                    self.houses[house].cost_centre
                };
                self.people
                    .push(self.make_person(rng, p, cost_centre, region));
            }
        }
    }

    fn make_person(
        &self,
        rng: &mut ChaCha8Rng,
        index: usize,
        cost_centre: usize,
        region: usize,
    ) -> Person {
        let (first, last) = full_name(rng);
        let document_format = match rng.random_range(0..100) {
            0..80 => "standard",
            80..92 => "large_print",
            _ => "easy_read",
        };
        let (contact_name, contact_email) = if rng.random_bool(0.06) {
            (String::new(), String::new())
        } else {
            let (contact_first, other_last) = full_name(rng);
            let surname = if rng.random_bool(0.8) {
                last
            } else {
                other_last
            };
            let relation = RELATIONS.choose(rng).copied().unwrap_or("advocate");
            let domain = if relation == "advocate" {
                "advocacy.example"
            } else {
                "example.org"
            };
            (
                format!("{contact_first} {surname}"),
                format!(
                    "{}.{}@{domain}",
                    email_part(contact_first),
                    email_part(surname)
                ),
            )
        };
        Person {
            id: format!("P{:0width$}", index + 1, width = self.person_id_width),
            name: format!("{first} {last}"),
            cost_centre,
            region,
            document_format,
            contact_name,
            contact_email,
            individual: None,
            community: None,
        }
    }

    fn build_plans(&mut self, rng: &mut ChaCha8Rng, first_day: i64, last_day: i64) {
        for house in &self.houses {
            for &r in &house.residents {
                if rng.random_bool(0.8) {
                    let days = weekday_mask(rng, 3..=5);
                    let svc = if rng.random_bool(0.8) {
                        Svc::CommunityAccess
                    } else {
                        Svc::PersonalCare
                    };
                    self.people[r as usize].individual = Some(Individual {
                        days,
                        minutes: 15 * rng.random_range(8..=12),
                        svc,
                    });
                }
            }
        }
        for region in &self.community_people {
            for &p in region {
                let days = if rng.random_bool(0.75) { 0x7f } else { 0x1f };
                let morning = rng
                    .random_bool(0.9)
                    .then(|| (Svc::PersonalCare, 15 * rng.random_range(2..=5)));
                let evening = if morning.is_none() || rng.random_bool(0.7) {
                    Some(if rng.random_bool(0.3) {
                        (Svc::CommunityAccess, 30 * rng.random_range(2..=4))
                    } else {
                        (Svc::PersonalCare, 15 * rng.random_range(2..=4))
                    })
                } else {
                    None
                };
                let outreach_days = if rng.random_bool(0.4) {
                    weekday_mask(rng, 1..=3)
                } else {
                    0
                };
                self.people[p as usize].community = Some(CommunityPlan {
                    days,
                    morning,
                    evening,
                    outreach_days,
                    outreach_minutes: 30 * rng.random_range(5..=8),
                });
            }
        }
        for p in 0..self.people.len() {
            if rng.random_bool(0.15) {
                let day = rng.random_range(first_day..=last_day);
                self.one_offs.entry(day).or_default().push(p as u32);
            }
        }
    }

    fn build_payers(&mut self, rng: &mut ChaCha8Rng) {
        let mut council = Vec::with_capacity(self.regions);
        let mut nhs = Vec::with_capacity(self.regions);
        for info in REGIONS.iter().take(self.regions) {
            council.push(self.payers.len());
            self.payers.push(Payer {
                id: format!("LA-{}", info.code),
                name: info.council.to_owned(),
                kind: "local_authority",
                email: format!("social.care.invoices@{}.gov.example", info.council_slug),
                address: format!("Adult Social Care, County Hall, {}", info.towns[0]),
            });
            nhs.push(self.payers.len());
            self.payers.push(Payer {
                id: format!("NHS-{}", info.code),
                name: format!(
                    "NHS {} Integrated Care Board (continuing healthcare)",
                    info.name
                ),
                kind: "nhs",
                email: format!("chc.invoices@{}.nhs.example", email_part(info.name)),
                address: format!("Continuing Healthcare Team, {}", info.towns[1]),
            });
        }
        self.override_payer = council.first().copied().unwrap_or(0);
        for p in 0..self.people.len() {
            let person = &self.people[p];
            let (id, name, region) = (person.id.clone(), person.name.clone(), person.region);
            let contact = (!person.contact_name.is_empty())
                .then(|| (person.contact_name.clone(), person.contact_email.clone()));
            let la = council[region];
            let own_payer =
                |kind: &'static str, prefix: &str, payer_name: &str, email: String| Payer {
                    id: format!("{prefix}-{id}"),
                    name: payer_name.to_owned(),
                    kind,
                    email,
                    address: format!("c/o {name}"),
                };
            let family = contact.map(|(n, e)| own_payer("representative", "REP", &n, e));
            let own = own_payer(
                "person",
                "PP",
                &name,
                format!("{}@example.org", email_part(&name)),
            );
            let p32 = p as u32;
            let arrangement = |payer: usize, kind: &'static str| Arrangement {
                person: p32,
                payer,
                kind,
                share_percent: None,
                weekly_pence: None,
            };
            match (rng.random_range(0..100), family) {
                (0..68, _) => self.arrangements.push(arrangement(la, "full")),
                (68..75, _) => {
                    let share = *[60u32, 50, 70].choose(rng).unwrap_or(&60);
                    self.arrangements.push(Arrangement {
                        share_percent: Some(share),
                        ..arrangement(la, "percentage")
                    });
                    let rest = Some(100 - share);
                    self.arrangements.push(Arrangement {
                        share_percent: rest,
                        ..arrangement(nhs[region], "percentage")
                    });
                }
                (75..79, Some(rep)) => {
                    let rep = self.add_payer(rep);
                    self.arrangements.push(Arrangement {
                        share_percent: Some(60),
                        ..arrangement(la, "percentage")
                    });
                    self.arrangements.push(Arrangement {
                        share_percent: Some(40),
                        ..arrangement(rep, "percentage")
                    });
                }
                (79..91, _) => {
                    let weekly = 500 * rng.random_range(4..=19);
                    let own = self.add_payer(own);
                    self.arrangements.push(Arrangement {
                        weekly_pence: Some(weekly),
                        ..arrangement(own, "contribution")
                    });
                    self.arrangements.push(arrangement(la, "full"));
                }
                (91..96, Some(rep)) => {
                    let rep = self.add_payer(rep);
                    self.arrangements.push(arrangement(rep, "full"));
                }
                _ => {
                    let own = self.add_payer(own);
                    self.arrangements.push(arrangement(own, "full"));
                }
            }
        }
    }

    fn add_payer(&mut self, payer: Payer) -> usize {
        self.payers.push(payer);
        self.payers.len() - 1
    }

    /// Expected worker minutes per day for each cost centre, used to spread the workers.
    fn demand(&self) -> Vec<f64> {
        let mut demand = vec![0.0; self.cost_centres.len()];
        for house in &self.houses {
            let individual: f64 = house
                .residents
                .iter()
                .filter_map(|&r| self.people[r as usize].individual.as_ref())
                .map(|i| i.minutes as f64 * f64::from(i.days.count_ones()) / 7.0)
                .sum();
            demand[house.cost_centre] += 24.0 * 60.0 + 120.0 * house.morning_chance() + individual;
        }
        for (region, people) in self.community_people.iter().enumerate() {
            let Some(team) = self.community_team[region] else {
                continue;
            };
            for &p in people {
                if let Some(plan) = &self.people[p as usize].community {
                    let per_day = f64::from(plan.days.count_ones()) / 7.0;
                    let calls = plan.morning.map_or(0, |m| m.1) + plan.evening.map_or(0, |e| e.1);
                    let outreach = plan.outreach_minutes as f64
                        * f64::from(plan.outreach_days.count_ones())
                        / 7.0;
                    // Travel, waits between calls and part-filled rounds add about 60% to call time.
                    demand[team] += calls as f64 * per_day * 1.6 + outreach;
                }
            }
        }
        demand
    }

    fn build_workers(&mut self, spec: &DemoSpec, rng: &mut ChaCha8Rng, first_day: i64) {
        let demand = self.demand();
        let mut per_cost_centre = apportion(spec.workers, &demand);
        // Every cost centre with work gets somebody when there are workers to go round.
        for i in 0..per_cost_centre.len() {
            let donor =
                (0..per_cost_centre.len()).max_by_key(|&j| (per_cost_centre[j], usize::MAX - j));
            if per_cost_centre[i] == 0
                && demand[i] > 0.0
                && let Some(donor) = donor
                && per_cost_centre[donor] > 1
            {
                per_cost_centre[donor] -= 1;
                per_cost_centre[i] += 1;
            }
        }
        self.cost_centre_staff = vec![Vec::new(); self.cost_centres.len()];
        let width = spec.workers.to_string().len().max(4);
        let (birth_year, _, _) = clock::civil_from_days(first_day);
        for (cost_centre, &count) in per_cost_centre.iter().enumerate() {
            for _ in 0..count {
                let index = self.workers.len();
                let (first, last) = full_name(rng);
                let base_rate_pence = match rng.random_range(0..100) {
                    0..50 => NATIONAL_LIVING_WAGE_PENCE + rng.random_range(0..=29),
                    50..85 => 1_300 + rng.random_range(0..=75),
                    _ => 1_375 + rng.random_range(0..=TOP_RATE_PENCE - 1_375),
                };
                let age = rng.random_range(21..=64);
                let birthday =
                    clock::days_from_civil(birth_year - age - 1, 1, 1) + rng.random_range(0..365);
                let region = self.cost_centres[cost_centre].region;
                self.cost_centre_staff[cost_centre].push(index as u32);
                self.region_staff[region].push(index as u32);
                self.workers.push(Worker {
                    id: format!("W{:0width$}", index + 1),
                    name: format!("{first} {last}"),
                    payroll_number: format!("{}", 3_100_000 + index * 7 + rng.random_range(0..7)),
                    cost_centre,
                    base_rate_pence,
                    date_of_birth: birthday,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(0, &[1.0]), vec![0]);
        assert_eq!(apportion(5, &[]), Vec::<usize>::new());
        assert_eq!(apportion(7, &[0.0, 2.0]).iter().sum::<usize>(), 7);
    }
}
