//! The shrunk walks that caught each planted bug, as `tests/model_based_mutants.rs` prints
//! them, frozen as named regressions: `tests/model_based.rs` replays each on the real
//! implementation (it must pass), `tests/model_based_mutants.rs` with its mutant in force (it
//! must fail at the same step, with the same action, by the check pinned for the mutant).
//! Refresh after a deliberate change: `DIVERSITY_UPDATE_FROZEN=1 cargo test --release -p
//! diversity-model --test model_based_mutants` writes this run's walks here.

#![allow(dead_code)]

use diversity::evm::Hardfork;
use diversity_model::protocol::ModelConfig;

pub struct Frozen {
    pub mutant: &'static str,
    /// The walks' configuration and EVM, as the mutant test found it.
    pub config: fn() -> ModelConfig,
    pub evm: Option<Hardfork>,
    pub picks: &'static [u16],
    /// The step that exposed the bug, and how its action starts.
    pub step: usize,
    pub action: &'static str,
}

pub fn frozen(mutant: &str) -> &'static Frozen {
    FROZEN
        .iter()
        .find(|f| f.mutant == mutant)
        .unwrap_or_else(|| panic!("no frozen walk for {mutant}"))
}

pub const FROZEN: [Frozen; 25] = [
    Frozen {
        mutant: "accept-missing-signature",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 23232, 44092, 5316, 52149, 13585, 45983, 6126, 19960, 14822, 47720, 30779,
            5931, 28494, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        step: 15,
        action: "byzantine node 0: SubmitCertificate",
    },
    Frozen {
        mutant: "count-duplicate-reading",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 8111, 58799, 41450, 22896, 31286, 6668, 24531, 57690, 15077, 15092, 43143,
            56559, 9426, 51941, 44707, 15570, 9588, 19357, 13471, 24976, 26837, 24287, 34978,
            36096, 239, 16792, 21268, 18892,
        ],
        step: 30,
        action: "byzantine node 0: Accuse",
    },
    Frozen {
        mutant: "pay-beyond-balance",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            4057, 0, 0, 51583, 48676, 10075, 33539, 7688, 17354, 3855, 3529, 10144, 9320, 43197,
            37879, 13090, 18392, 24159, 30848, 3320, 56041, 23153, 4114, 3109, 62562, 19936, 19928,
            41664, 25078, 15665, 29480, 25242, 2399, 7047, 17418, 21150, 56156, 3495, 2166, 5370,
            6371, 57217, 270, 31888, 23506, 8234, 13502, 55983, 12982, 61337, 17412, 15289, 19525,
            59191, 51349,
        ],
        step: 54,
        action: "include finalizeDispute from Node(2",
    },
    Frozen {
        mutant: "honest-signs-twice",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 46267, 16613, 7448, 18769, 28120, 9595, 24776, 53084, 615, 3216, 8679,
            48813, 27468, 55295, 24099, 13284, 54830, 43112, 13865, 33563, 7457, 52958, 2404, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ],
        step: 25,
        action: "tick",
    },
    Frozen {
        mutant: "finalize-dispute-early",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 0, 56551, 16613, 7448, 22808, 21427, 42319, 56319, 14730, 3207, 20552,
            8515, 6150, 60777, 19010, 4910, 26703, 27155, 27968, 1085, 5676, 28199, 9032, 24099,
            3795, 11220, 16497, 15245, 62336, 33812, 8559, 53450, 26783, 12323, 761, 63954, 27476,
            39632, 27040, 12760, 4950, 43204, 10321, 3938, 58244, 42935,
        ],
        step: 48,
        action: "byzantine node 0: Finalize",
    },
    Frozen {
        mutant: "accept-high-s",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 9790, 11023, 43443, 19805, 1151, 19217, 13512, 5713, 51712, 25237, 3037,
            2529, 42178, 36824, 680, 44691, 17744, 19142, 34622, 17316, 9444, 1632, 22682, 2763,
            14035, 25574, 19611, 16994, 7148, 17128, 60863, 57064, 11117, 8381, 408, 9636, 24, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 25369, 56475,
        ],
        step: 39,
        action: "byzantine node 0: AddMalleated",
    },
    Frozen {
        mutant: "skip-root-check",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 78, 23896, 29070, 25280, 20755, 1394, 0, 14488, 38532, 9015, 32662, 17925,
            6712, 10002, 25566, 6996, 0, 9478, 2, 10565, 0, 20450, 11997, 0, 0, 0, 0, 0,
        ],
        step: 25,
        action: "byzantine node 0: Accuse",
    },
    Frozen {
        mutant: "equivocation-favours-owner",
        config: super::walk::four_prosumers_hardened,
        evm: Some(Hardfork::Osaka),
        picks: &[
            1, 3115, 0, 0, 21400, 1824, 4080, 9940, 49903, 30572, 5, 12452, 821, 3803, 59118,
            17159, 28192, 27601, 37388, 15755, 51866, 0, 2, 33913, 3809, 26032, 7690,
        ],
        step: 26,
        action: "byzantine node 1: Accuse",
    },
    Frozen {
        mutant: "partial-final-at-once",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 50502, 11023, 30274, 42437, 16328, 16975, 22016, 27897, 3978, 462, 9336,
            11479, 8890, 3320, 32666, 20844, 10338, 0, 0, 12680, 6232, 4612, 0, 33557, 678, 15533,
            2978, 966, 25972, 15640, 31785, 1394, 13003, 19658, 777, 13366, 2088,
        ],
        step: 39,
        action: "byzantine node 0: SubmitCertificate",
    },
    Frozen {
        mutant: "challenger-always-wins",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            35323, 0, 0, 12694, 27310, 6030, 0, 0, 2150, 0, 3801, 9422, 6530, 37370, 27691, 16617,
            2348, 31618, 33053, 5528, 45727, 59194, 34133, 11868, 35957, 63629, 4064, 562, 11303,
            1252, 8402, 3138, 19473, 3746, 15195, 38464, 122, 10835, 59147, 24901, 16426, 3202,
            8302, 45833, 52763, 40040, 5570, 24915, 31511, 58749, 22557, 28228, 15910, 60366,
            54827, 15694, 36796, 38268, 8064, 58626, 27886, 5044, 30736, 52278, 2504, 55364, 53381,
            39301, 29699, 64899, 42045, 13468, 62346, 17861, 5833, 43741, 61702, 16725, 65250,
            60161, 32813, 23780, 5500, 50400, 25949, 28468, 23212,
        ],
        step: 83,
        action: "include finalizeDispute from Node(1",
    },
    Frozen {
        mutant: "slashed-signer-counts",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 4805, 39307, 4108, 5741, 3515, 18760, 16496, 0, 43621, 42426, 57690, 7613,
            35417, 41274, 55620, 51510, 53271, 251, 8335, 39756, 53070, 15256, 17899, 24849, 17,
            22549, 9848, 25062, 5126, 14090, 26775, 43542, 20077, 6329, 27333, 32913, 5853, 61595,
        ],
        step: 40,
        action: "byzantine node 0: SubmitCertificate",
    },
    Frozen {
        mutant: "escape-needs-a-node",
        config: super::walk::no_live_node,
        evm: Some(Hardfork::Prague),
        picks: &[1, 7, 5495, 0, 0, 0, 0, 0, 0, 0, 0],
        step: 10,
        action: "include openDispute from Wallet(0",
    },
    Frozen {
        mutant: "prune-early",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 16598, 4533, 10242, 4122, 21670, 34114, 0, 21719, 97, 600, 35854, 18496,
        ],
        step: 14,
        action: "tick",
    },
    Frozen {
        mutant: "node-never-closes",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 46045, 49912, 28810, 15122, 24376, 28286, 0, 5113, 8764, 3567, 58414,
            10217, 4415, 48255, 25090, 48869, 10437, 9347, 52146, 56338, 14221, 11917, 31547,
            13457, 7608, 3894, 29820, 28167, 23118, 12340, 28521, 14554, 30134, 32427, 20136,
            36020, 26624, 4830, 55080, 58383, 58474, 23730, 53479, 59964, 13334, 51493, 51723,
            13460, 42241, 53076, 56590, 9195, 54684, 55512, 61650, 14094, 47115, 47880, 55317,
            18551, 40174, 42408, 4024, 41442, 17170, 50129, 2530, 43929, 44463, 15251, 13471,
            44532, 28341, 36096, 2437, 45475, 25398, 9848, 48899,
        ],
        step: 81,
        action: "tick",
    },
    Frozen {
        mutant: "abort-keeps-bonds",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[9524, 0],
        step: 1,
        action: "include abort from Node(1",
    },
    Frozen {
        mutant: "evidence-only-frozen",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            7175, 0, 0, 312, 2005, 39496, 13529, 26275, 30254, 18502, 51470, 39075, 31306, 21126,
            27850, 15986, 20236, 15044, 23354, 45326, 28772, 42824, 21321, 7614, 40084, 63109,
            7603, 19669, 40853, 7408, 34339, 24340, 197, 28406, 10133, 3454, 2785, 6290, 5779,
            32782, 486, 16776, 7226, 18615, 16173, 8614, 50240, 54419, 21025, 269,
        ],
        step: 49,
        action: "tick",
    },
    Frozen {
        mutant: "ignore-late-readings",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            8747, 0, 0, 8599, 19539, 14393, 8072, 23120, 10795, 24224, 26544, 24872, 6839, 2843,
            58397, 25350, 16878, 18318, 19769, 26442, 5885, 31311, 41, 5414, 20074, 32008, 84, 1,
            1, 38599, 23911, 21923, 8180, 1640, 19572, 13902, 16658, 8558, 19622, 30993, 5981,
            39103, 32597, 937, 4560, 27854, 0, 20052, 18607, 0, 0, 0, 0, 0, 391, 2640,
        ],
        step: 48,
        action: "tick",
    },
    Frozen {
        mutant: "evidence-last-wins",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            15289, 0, 0, 35668, 3851, 61907, 31733, 17418, 25525, 46462, 0, 15481, 15156, 62598,
            10956, 230, 6407, 19583, 19584, 32265, 36047, 33247, 886, 6722, 24987, 26835, 3697,
            6431, 8685, 7740, 39537, 34494, 16023, 0, 905, 49474, 4452, 1528, 21214, 45798, 18019,
            59145, 27556, 60357, 12422, 41337, 55795, 7735, 55168, 15777, 39824, 7980, 25730, 9756,
            36384, 33526, 6104, 16640, 52481, 25140, 14289, 12485, 21384, 44396, 24900, 55537,
            60865, 27566,
        ],
        step: 67,
        action: "include addEvidence from Node(1",
    },
    Frozen {
        mutant: "slash-loses-bond",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 8092, 38658, 15975, 52099, 20634, 13261, 62568, 27540, 4052, 10516, 32167,
            0, 9216, 17310, 1068, 8006, 10255, 15292, 3080, 31572, 38415, 47787, 21325, 11410,
            29705, 25, 31603, 10906, 4647, 6453, 700, 0, 992, 1003, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            382,
        ],
        step: 37,
        action: "include reportInconsistency from Node(1",
    },
    Frozen {
        mutant: "credit-paid-at-once",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 1387, 38658, 15969, 18962, 61809, 59950, 17641, 42118, 61808, 13753,
            13768, 12302, 21672, 36267, 8189, 53386, 59899, 46824, 1446, 7670, 39298, 15240, 9639,
            19011, 39309, 10930, 50998, 1313, 11624, 16240, 50209, 2162, 0, 0, 0, 0, 0, 0,
        ],
        step: 34,
        action: "include reportEquivocation from Node(2",
    },
    Frozen {
        mutant: "close-one-window-early",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 48601, 42423, 20284, 4976, 54849, 9345, 47464, 26955, 9112, 12501, 14062,
            61874, 53042, 22546, 13460, 18268, 42241, 11336, 35040, 2769, 42037, 40335, 1916,
            33126, 15506, 32795, 1388, 2, 7263, 17170, 12416, 5066, 2497, 33, 2594, 15498, 28174,
            37869, 2905, 34159, 33226, 18495,
        ],
        step: 44,
        action: "include close from Node(1",
    },
    Frozen {
        mutant: "dispute-keeps-window-open",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            7175, 0, 0, 6823, 18367, 489, 6952, 40435, 48085, 17118, 6710, 944, 48431, 21097, 2954,
            39390, 5128, 26799, 35174, 37359, 24188, 43567, 3320, 13682, 20046, 7258, 8982, 29549,
            64988, 15990, 12464, 10076, 19611, 24911, 45324, 11606, 10152, 13980, 33890, 147,
            15212, 4556, 39180, 30783, 26179, 49960, 28150, 49341, 64713, 43621, 5248, 56370,
            50240, 44751, 53712, 30960, 49264,
        ],
        step: 56,
        action: "tick",
    },
    Frozen {
        mutant: "dispute-outcome-unlinked",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            7175, 0, 0, 6823, 18367, 489, 6952, 40435, 48085, 17118, 6710, 944, 48431, 21097, 2954,
            39390, 5128, 26799, 35174, 37359, 24188, 43567, 3320, 13682, 20046, 7258, 8982, 29549,
            64988, 15990, 12464, 10076, 19611, 24911, 45324, 11606, 10152, 13980, 33890, 147,
            15212, 4556, 39180, 30783, 26179, 49960, 28150, 49341, 64713, 43621, 5248, 56370,
            50240, 44751,
        ],
        step: 53,
        action: "byzantine node 0: Finalize",
    },
    Frozen {
        mutant: "node-never-finalizes",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 518, 57209, 28810, 33142, 53538, 5424, 0, 62343, 54187, 27970, 7190,
            16417, 0, 13423, 59633, 54511, 6520, 13619, 60728, 55213, 13262, 7370, 12962, 32027,
            15101, 6192, 25583, 30378, 12808, 64198, 15777, 2139, 30053, 955, 12187, 17062, 21564,
            17395, 50025, 12930, 4707, 52205, 8123, 46403, 50326, 47880, 43007, 42408, 15269,
            41442, 8118, 5509, 44463, 20340, 50210, 11620, 24820, 40120,
        ],
        step: 60,
        action: "tick",
    },
    Frozen {
        mutant: "certificate-needs-one-more",
        config: super::walk::three_prosumers,
        evm: Some(Hardfork::Prague),
        picks: &[
            23837, 0, 0, 93, 632, 6669, 12112, 17089, 52208, 0, 3538, 17679, 17494, 60038, 32957,
            9210, 7773, 20455, 27689, 528, 56405, 28611, 0, 1326, 0, 0, 47, 0, 0, 415, 7160, 7578,
            168, 738, 2250, 30179, 1043, 3217, 7967, 0, 4155, 0, 0, 313, 0, 22, 55622, 58383,
            58720, 47465, 53479, 59964, 13334, 51493, 51723, 13460, 42241, 53076, 56590, 9195,
            54684, 55512, 61650, 14094, 47115, 47880, 55317, 18551, 40174, 32795, 15269, 37667,
            6800, 44892, 5509, 62397, 20340, 6996, 15498, 36096, 11620, 24820, 38421, 40120, 2437,
        ],
        step: 62,
        action: "include submitWindow from Node(1",
    },
];
