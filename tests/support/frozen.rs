//! The shrunk walks that caught each planted bug, as `tests/model_based_mutants.rs` prints
//! them, frozen as named regressions: `tests/model_based.rs` replays each on the real
//! implementation (it must pass), `tests/model_based_mutants.rs` with its mutant in force (it
//! must fail at the same step, with the same action, by the check pinned for the mutant).
//! Refresh after a deliberate change from that test's `--nocapture` output.

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
            23837, 0, 0, 0, 0, 15327, 2979, 35794, 0, 27628, 6366, 37376, 11250, 21021, 1542,
            14514, 33280, 7496, 934, 2436,
        ],
        step: 19,
        action: "byzantine node 0: SubmitCertificate",
    },
    Frozen {
        mutant: "count-duplicate-reading",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 8113, 3218, 13650, 3515, 7569, 17798, 0, 56840, 45597, 18014, 23050, 6204,
            267, 16309, 41320, 4665, 38214, 14884, 10189, 3736, 48233, 19957, 37667, 7847, 49934,
            43449, 18059, 43185, 54331, 50210, 36096, 20472, 9307, 0, 0, 0, 0,
        ],
        step: 35,
        action: "include reportInconsistency from Node(1",
    },
    Frozen {
        mutant: "pay-beyond-balance",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            4057, 0, 0, 52367, 48676, 10075, 32998, 6407, 7318, 18976, 7332, 10583, 9320, 43197,
            37879, 13087, 17430, 24158, 30478, 2421, 5049, 13180, 23200, 36688, 36111, 19998,
            58824, 1009, 42008, 5439, 11695, 18897, 9756, 1860, 40997, 3263, 10088, 5438, 15192,
            24738, 938, 6276, 602, 4784, 1173, 9946, 2017, 38336, 30997, 12991, 32307, 19525,
            59191, 51349,
        ],
        step: 53,
        action: "include finalizeDispute from Node(2",
    },
    Frozen {
        mutant: "honest-signs-twice",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 84, 4720, 11830, 21270, 1066, 39867, 8142, 8203, 51509, 9359, 1611, 5958,
            64027, 40102, 44055, 4770, 0, 22090, 18461, 5423, 29261, 0, 0, 18677, 0, 3064, 14899,
            17224, 25511, 246, 5270, 25090, 8775, 3344, 58244,
        ],
        step: 37,
        action: "tick",
    },
    Frozen {
        mutant: "finalize-dispute-early",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 5287, 7776, 4448, 28292, 378, 12002, 0, 899, 57690, 51112, 35279, 57532,
            5263, 12325, 28863, 14554, 18759, 35422, 6083, 10630, 57647, 625, 2807, 5049, 36190,
            49834, 2831, 11334, 0, 0, 983, 0, 40223, 17281, 1473, 30238, 0, 6291, 11971, 0, 1759,
            20425, 1385, 7955, 48670, 26771, 55908, 18773, 12477, 42408, 37667, 45631, 50129, 6800,
            52250, 2530, 25078, 44892, 25855, 9976, 20340, 60289, 32914, 19503, 39423, 15498,
            21021, 63325, 18496,
        ],
        step: 66,
        action: "byzantine node 0: Finalize",
    },
    Frozen {
        mutant: "accept-high-s",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 952, 632, 13, 3412, 0, 25409, 52211, 17529, 37637, 19157, 12830, 23498,
            33785, 54416, 24053, 51335, 14566, 38636, 48884, 20034, 60452, 29234, 6668, 35852,
            14166, 1328, 56565, 260, 51904, 600, 32003, 7613, 2490, 40327, 7050, 4062, 51607,
            35896, 48847, 7419, 51493, 18833, 14563, 6905, 5445, 41016, 53076, 20042, 40357,
        ],
        step: 51,
        action: "byzantine node 0: AddMalleated",
    },
    Frozen {
        mutant: "skip-root-check",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 8, 21205, 29070, 25280, 20755, 8654, 0, 19831, 0, 0, 0, 35203, 0, 10088,
            2568, 3, 92, 402, 2, 2, 1007, 0, 91, 31741, 29684, 18892,
        ],
        step: 28,
        action: "byzantine node 0: Accuse",
    },
    Frozen {
        mutant: "equivocation-favours-owner",
        config: super::walk::four_prosumers_hardened,
        evm: Some(Hardfork::Osaka),
        picks: &[
            1, 3115, 0, 0, 21400, 26858, 1090, 4992, 8400, 40248, 48328, 1650, 27361, 12750, 539,
            7802, 1170, 34996,
        ],
        step: 17,
        action: "byzantine node 1: Accuse",
    },
    Frozen {
        mutant: "partial-final-at-once",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 0, 0, 0, 8, 0, 5102, 0, 56577, 16524, 19423, 19598, 36904, 24544, 20440,
            5421, 6, 53797, 5192, 12477, 376, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 1658, 3774, 20042, 24839, 40357, 31436, 52250, 44892, 26775, 43929,
            25855, 45835, 20340, 13471, 60289, 28341, 19503, 39423, 36096, 21021, 11620, 24820,
            40120, 63325, 18496,
        ],
        step: 22,
        action: "include submitWindow from Node(2",
    },
    Frozen {
        mutant: "challenger-always-wins",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            8107, 0, 0, 26429, 10274, 12766, 38812, 13439, 44131, 328, 28442, 43490, 64375, 18734,
            63488, 14405, 6368, 30188, 38950, 15669, 7177, 50585, 24998, 16062, 4313, 6265, 37719,
            58064, 50355, 9695, 16290, 10904, 1991, 5306, 3616, 7318, 48362, 508, 32936, 7837,
            11563, 26, 29236, 44464, 21111, 23734, 20835, 40461, 38479, 46052, 41821, 48724, 22050,
            32418, 55530, 21760, 24904,
        ],
        step: 56,
        action: "include finalizeDispute from Node(1",
    },
    Frozen {
        mutant: "slashed-signer-counts",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 350, 763, 29341, 3810, 50785, 359, 60055, 7906, 2571, 18557, 7688, 27129,
            10870, 28583, 27269, 57465, 10567, 29124, 41953, 35334, 55054, 22626, 2982, 1, 12665,
            27191, 15040, 0, 0, 0, 0, 355, 0, 0, 20173, 0, 0, 0, 0,
        ],
        step: 37,
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
            23837, 0, 0, 34067, 432, 6947, 60289, 18146, 12497, 6670, 21719, 102, 5182, 40120,
        ],
        step: 13,
        action: "tick",
    },
    Frozen {
        mutant: "node-never-closes",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 952, 632, 6669, 12112, 17537, 52208, 0, 54986, 26129, 21268, 12886, 17529,
            44308, 20434, 7410, 48266, 14875, 62311, 13619, 46427, 11345, 860, 19073, 2376, 34419,
            14948, 57690, 6956, 13547, 35564, 28677, 25804, 3778, 15655, 11250, 31112, 8861, 1802,
            23478, 972, 11460, 38942, 38666, 4979, 56590, 24839, 15292, 44874, 54684, 55512, 8663,
            61650, 47880, 18551, 55908, 15269, 17170, 20470, 22707, 32499, 52250, 2530, 44892,
            26775, 44463, 20340, 6996, 13471, 43311, 50210, 21021, 34978, 33582, 33579, 18894,
            18496, 2437, 45475, 25398, 9848, 48899,
        ],
        step: 83,
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
        mutant: "slash-loses-bond",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 1385, 36597, 642, 10135, 13741, 40806, 0, 21938, 7613, 25548, 13420,
            39825, 5081, 42037, 45, 33156, 54098, 49502, 2663, 23763, 55908, 1675, 12329, 1794,
            22430, 16550, 45710, 2510, 3926, 10985, 9709, 6085, 2183, 31206, 249, 12375, 15251,
            7727, 22311, 34362, 33635, 23880, 0, 0, 70, 11620, 24820, 63325, 2437,
        ],
        step: 45,
        action: "include reportEquivocation from Node(1",
    },
    Frozen {
        mutant: "credit-paid-at-once",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 1385, 38658, 15969, 5930, 32823, 43550, 0, 15090, 636, 19810, 138, 10743,
            17084, 26211, 3400, 37650, 1177, 34328, 521, 2509, 0, 22138, 10005, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        step: 26,
        action: "include reportEquivocation from Node(1",
    },
    Frozen {
        mutant: "close-one-window-early",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 9088, 128, 5980, 30952, 4174, 53807, 1201, 55025, 57532, 40053, 3853,
            11075, 55584, 54728, 58720, 47465, 13308, 61694, 28681, 22546, 13460, 19165, 2024, 6,
            34, 4717, 49484, 23572, 28923, 20744, 2012, 4052, 29516, 33377, 19503, 505, 7749, 2894,
            242, 34159, 33226, 18495,
        ],
        step: 44,
        action: "include close from Node(1",
    },
    Frozen {
        mutant: "dispute-keeps-window-open",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 9882, 9362, 5231, 16328, 19066, 27611, 10467, 56840, 12112, 42426, 1201,
            57690, 16704, 60587, 7584, 21385, 62636, 57532, 55728, 19366, 17393, 10411, 37547,
            9763, 24605, 42257, 1021, 19105, 1, 5351, 23739, 37110, 18407, 14910, 16487, 42984,
            15885, 17808, 3870, 18126, 3425, 29512, 19625, 13512, 6800, 2530, 44892, 44463, 20340,
            6996, 60289, 19503, 21021, 24820, 40120, 33579, 25398,
        ],
        step: 59,
        action: "tick",
    },
    Frozen {
        mutant: "dispute-outcome-unlinked",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 9882, 9362, 5231, 16328, 19066, 27611, 10467, 56840, 12112, 42426, 449,
            57690, 15746, 60590, 11533, 48900, 9656, 8243, 5786, 16926, 18394, 38344, 38038, 1024,
            387, 13587, 25330, 56077, 2012, 4127, 9902, 8118, 2595, 1515, 43480, 3412, 5926, 850,
            11058, 26775, 29570, 32227, 3356, 19654, 14930, 9775, 60289, 50210, 36096, 21021,
            24820, 40120, 9848,
        ],
        step: 55,
        action: "byzantine node 0: Finalize",
    },
    Frozen {
        mutant: "node-never-finalizes",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 952, 632, 6669, 3520, 18811, 52208, 0, 3538, 12149, 5113, 8762, 45002,
            21806, 38307, 20432, 48255, 8960, 17997, 33743, 61331, 6661, 895, 3267, 5, 9833, 12612,
            58810, 1761, 0, 11020, 1534, 3536, 393, 5262, 11, 0, 4516, 25438, 3325, 2944, 4025,
            17681, 5500, 37469, 2787, 9464, 58720, 47465, 23263, 53479, 61816, 39834, 54684, 55512,
            61650, 14094, 47115, 47880,
        ],
        step: 60,
        action: "tick",
    },
    Frozen {
        mutant: "certificate-needs-one-more",
        config: super::walk::three_prosumers,
        evm: Some(Hardfork::Prague),
        picks: &[
            12637, 0, 0, 28366, 23435, 21340, 48152, 5890, 30780, 25991, 529, 56753, 27872, 40114,
            5528, 51712, 25237, 44127, 1984, 33425, 39059, 9582, 769, 45310, 22707, 14416, 34715,
            517, 62336, 0, 0, 0, 0, 0, 0, 0,
        ],
        step: 28,
        action: "byzantine node 0: SubmitCertificate",
    },
    Frozen {
        mutant: "evidence-only-frozen",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            7175, 0, 0, 312, 2005, 39496, 13529, 25883, 27206, 18511, 20297, 19595, 24324, 1620,
            3150, 47803, 14277, 2239, 28119, 728, 34069, 27793, 21603, 1, 10591, 3203, 16322,
            49611, 6296, 45225, 56600, 9522, 55985, 4405, 2408, 1859, 7810, 9997, 3895, 3488, 6327,
            43434, 350, 2023, 47, 11343, 1064, 5248, 21746, 56370, 30960,
        ],
        step: 50,
        action: "tick",
    },
    Frozen {
        mutant: "ignore-late-readings",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            12637, 0, 0, 8835, 18181, 34315, 10590, 7012, 20583, 25991, 529, 30755, 60733, 26523,
            4593, 22852, 17088, 50684, 43430, 34999, 44691, 49479, 21058, 33937, 56612, 35733,
            43116, 21079, 5117, 2435, 35901, 34198, 15584, 764, 23816, 24192, 11, 11999, 173, 3657,
            0, 0, 811, 71, 231, 31345, 1383, 24847, 13365, 1, 3471, 4950, 2088, 12195,
        ],
        step: 52,
        action: "tick",
    },
    Frozen {
        mutant: "evidence-last-wins",
        config: super::walk::three_prosumers,
        evm: None,
        picks: &[
            23837, 0, 0, 952, 632, 6669, 3520, 18811, 52208, 0, 54986, 26158, 62222, 19100, 27569,
            12429, 59618, 40336, 19380, 20433, 7742, 17152, 36416, 5638, 302, 32056, 38099, 779,
            19840, 6682, 33460, 14221, 8283, 28730, 0, 714, 11820, 16447, 1400, 11968, 63703,
            29211, 9759, 44425, 30946, 35587, 44268, 22232, 3856, 31559, 11250, 55622, 58383, 9464,
            2139, 58720, 23263, 61816, 1355, 20974, 18241, 51493, 16143, 39834, 13460, 19165,
            41016, 56590, 42037, 20042, 24839, 40357, 14094, 17170, 8118, 52250, 2530, 5509, 20340,
            6996, 15251, 44532, 21021,
        ],
        step: 82,
        action: "include addEvidence from Node(2",
    },
];
