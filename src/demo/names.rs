//! Fixed word lists for the synthetic provider: regions, councils, names and shift notes.

/// A region of the provider: its code, name, the council that commissions support there, and the
/// towns its supported-living houses are in.
pub(crate) struct Region {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) council: &'static str,
    pub(crate) council_slug: &'static str,
    pub(crate) towns: [&'static str; 3],
}

/// Seventeen regions, as many as the provider the demo is modelled on.
pub(crate) const REGIONS: [Region; 17] = [
    Region {
        code: "YH",
        name: "Yorkshire and Humber",
        council: "Leeds City Council",
        council_slug: "leeds",
        towns: ["Leeds", "Wakefield", "Harrogate"],
    },
    Region {
        code: "NW",
        name: "North West",
        council: "Lancashire County Council",
        council_slug: "lancashire",
        towns: ["Preston", "Lancaster", "Chorley"],
    },
    Region {
        code: "SC",
        name: "South Coast",
        council: "Hampshire County Council",
        council_slug: "hampshire",
        towns: ["Winchester", "Basingstoke", "Andover"],
    },
    Region {
        code: "EM",
        name: "East Midlands",
        council: "Nottinghamshire County Council",
        council_slug: "nottinghamshire",
        towns: ["Mansfield", "Newark", "Worksop"],
    },
    Region {
        code: "SW",
        name: "South West",
        council: "Devon County Council",
        council_slug: "devon",
        towns: ["Exeter", "Barnstaple", "Newton Abbot"],
    },
    Region {
        code: "LN",
        name: "London North",
        council: "London Borough of Barnet",
        council_slug: "barnet",
        towns: ["Finchley", "Edgware", "Hendon"],
    },
    Region {
        code: "EA",
        name: "East Anglia",
        council: "Norfolk County Council",
        council_slug: "norfolk",
        towns: ["Norwich", "King's Lynn", "Great Yarmouth"],
    },
    Region {
        code: "NE",
        name: "North East",
        council: "Durham County Council",
        council_slug: "durham",
        towns: ["Durham", "Chester-le-Street", "Bishop Auckland"],
    },
    Region {
        code: "WM",
        name: "West Midlands",
        council: "Worcestershire County Council",
        council_slug: "worcestershire",
        towns: ["Worcester", "Kidderminster", "Redditch"],
    },
    Region {
        code: "TV",
        name: "Thames Valley",
        council: "Oxfordshire County Council",
        council_slug: "oxfordshire",
        towns: ["Oxford", "Banbury", "Witney"],
    },
    Region {
        code: "KS",
        name: "Kent and Sussex",
        council: "Kent County Council",
        council_slug: "kent",
        towns: ["Maidstone", "Ashford", "Canterbury"],
    },
    Region {
        code: "CU",
        name: "Cumbria",
        council: "Westmorland and Furness Council",
        council_slug: "westmorlandandfurness",
        towns: ["Kendal", "Barrow-in-Furness", "Ulverston"],
    },
    Region {
        code: "GM",
        name: "Greater Manchester",
        council: "Stockport Council",
        council_slug: "stockport",
        towns: ["Stockport", "Marple", "Bramhall"],
    },
    Region {
        code: "ES",
        name: "Essex",
        council: "Essex County Council",
        council_slug: "essex",
        towns: ["Chelmsford", "Colchester", "Braintree"],
    },
    Region {
        code: "SL",
        name: "South London",
        council: "London Borough of Croydon",
        council_slug: "croydon",
        towns: ["Croydon", "Purley", "Thornton Heath"],
    },
    Region {
        code: "CH",
        name: "Cheshire",
        council: "Cheshire East Council",
        council_slug: "cheshireeast",
        towns: ["Crewe", "Macclesfield", "Nantwich"],
    },
    Region {
        code: "WA",
        name: "Wiltshire and Avon",
        council: "Wiltshire Council",
        council_slug: "wiltshire",
        towns: ["Salisbury", "Chippenham", "Trowbridge"],
    },
];

pub(crate) const FIRST_NAMES: [&str; 96] = [
    "Oliver", "Amelia", "George", "Olivia", "Harry", "Isla", "Jack", "Ava", "Noah", "Emily",
    "Charlie", "Sophie", "Thomas", "Grace", "Jacob", "Mia", "Oscar", "Poppy", "James", "Ella",
    "William", "Lily", "Leo", "Evie", "Alfie", "Freya", "Joshua", "Chloe", "Henry", "Jessica",
    "Daniel", "Ruby", "Samuel", "Hannah", "Joseph", "Lucy", "Mohammed", "Aisha", "Arjun", "Priya",
    "Kwame", "Abena", "Tomasz", "Agnieszka", "Declan", "Siobhan", "Rhys", "Cerys", "Callum",
    "Eilidh", "Matthew", "Rachel", "David", "Sarah", "Michael", "Karen", "Paul", "Julie", "Mark",
    "Helen", "Stephen", "Claire", "Andrew", "Louise", "Gary", "Nicola", "Peter", "Susan", "Ian",
    "Margaret", "Graham", "Patricia", "Kevin", "Deborah", "Lee", "Joanne", "Wayne", "Kelly",
    "Imran", "Fatima", "Hamza", "Zainab", "Ravi", "Anjali", "Femi", "Ngozi", "Luca", "Gabriela",
    "Ewan", "Morag", "Ryan", "Shannon", "Jordan", "Bethany", "Nathan", "Megan",
];

pub(crate) const SURNAMES: [&str; 96] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "Harris", "Clark", "Martin", "Cooper", "King",
    "Lee", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Bennett", "Price", "Griffiths", "Young", "O'Brien", "Murphy", "Kelly", "Hughes",
    "Edwards", "Turner", "Hill", "Moore", "Ward", "Morris", "Mitchell", "Cook", "Bailey", "Bell",
    "Shaw", "Carter", "Richardson", "Chapman", "Webb", "Ellis", "Begum", "Hussain", "Ali",
    "Ahmed", "Singh", "Kaur", "Okafor", "Mensah", "Nowak", "Kowalski", "Macdonald", "Campbell",
    "Stewart", "Reid", "Fraser", "Lloyd", "Powell", "Jenkins", "Owen", "Pritchard", "Fletcher",
    "Barnes", "Holmes", "Marshall", "Palmer", "Dixon", "Hunt", "Mason", "Knight", "Butler",
    "Russell", "Ferguson", "Doherty",
];

pub(crate) const STREETS: [&str; 16] = [
    "Elm Road",
    "Church Lane",
    "Mill Street",
    "Station Road",
    "Victoria Avenue",
    "Park View",
    "Orchard Close",
    "The Crescent",
    "Chapel Street",
    "Meadow Way",
    "Highfield Road",
    "Willow Drive",
    "Queens Road",
    "Beech Grove",
    "Albert Terrace",
    "Holly Bank",
];

/// How a contact is related to the person supported.
pub(crate) const RELATIONS: [&str; 6] = ["mother", "father", "sister", "brother", "aunt", "advocate"];

/// Occasional segment notes; some hold commas and quotes so readers meet real CSV quoting.
pub(crate) const NOTES: [&str; 12] = [
    "Medication prompted and signed for",
    "Went shopping in town, bought new shoes",
    "GP appointment, bloods taken",
    "Quiet night, checked at 02:00",
    "Cooked tea together: \"spag bol\"",
    "Swimming at the leisure centre",
    "Visited mum; lunch at the cafe",
    "Bus training, two stops on his own",
    "Unsettled after phone call, calmer by 9",
    "Cleaned room, laundry done",
    "Day centre drop-off, 10 mins late",
    "Cinema trip with housemate",
];
