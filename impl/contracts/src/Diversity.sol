// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title DIVERSITY escrow contract (specs/protocol.md §7)
/// @notice Holds the prosumers' deposits and the nodes' bonds, settles one window per
/// transaction when all N nodes sign (the "SA" strategy), recomputes a window from
/// meter-signed evidence when they do not, slashes provable misbehaviour, and pays out by
/// pull payments after close.
/// @dev Differential-tested against the Rust reference contract (`impl/src/contract.rs`):
/// the same calls are accepted and refused with the same named errors, in the same order of
/// checks, with the same balances and events. Each `revert` names the spec's error.
/// Where the EVM forces a different shape the spec says so (§7.9):
/// - `finalizePending` takes the pending result again (only its hash is stored);
/// - `reportInconsistency` may be split into chunks (`offset`, `total`);
/// - the dispute evidence is one word per meter, its deciding `(slot, produced, consumed)`,
///   and `EvidenceAdded` counts readings that changed it or not (no reading is stored).
contract Diversity {
    // ------------------------------------------------------------------ types

    enum Phase {
        Funding,
        Active,
        Closed,
        Aborted
    }

    enum Path {
        FastPath,
        Dispute,
        Partial
    }

    enum SlashReason {
        Equivocation,
        Inconsistency
    }

    /// Reasons a signature is refused (spec §4.1), in the order they are checked.
    uint8 internal constant SIG_BAD_V = 1;
    uint8 internal constant SIG_HIGH_S = 2;
    uint8 internal constant SIG_OUT_OF_RANGE = 3;
    uint8 internal constant SIG_NO_RECOVERY = 4;

    struct Signature {
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    struct WindowResult {
        uint32 window;
        bytes32 prevHash;
        uint64[] produced;
        uint64[] consumed;
        bytes32 readingsRoot;
    }

    struct SignedResult {
        WindowResult result;
        Signature signature;
    }

    struct SignedReading {
        address meter;
        uint64 slot;
        uint64 producedWh;
        uint64 consumedWh;
        Signature signature;
    }

    struct Params {
        uint64 start;
        uint64 slotSecs;
        uint64 slotsPerWindow;
        uint32 windows;
        address[] nodes;
        address[] meters;
        address[] wallets;
        uint128[] deposits;
        uint128 bond;
        uint128 priceWeiPerWh;
        address dustRecipient;
        uint64 collectPeriod;
        uint64 signPeriod;
        uint64 challengePeriod;
        uint64 disputePeriod;
        uint64 slashPeriod;
        uint128 disputeBond;
        uint128 gasRateWei;
    }

    // ------------------------------------------------------------------ limits (spec §3, §7.6)

    uint256 public constant MAX_PROSUMERS = 64;
    uint64 public constant MAX_READING_WH = type(uint32).max;
    uint64 public constant MAX_SLOTS_PER_WINDOW = 1 << 24;
    uint256 public constant MAX_PRICE_WEI_PER_WH = type(uint64).max;
    uint256 public constant MAX_AMOUNT_WEI = 1 << 96;
    uint256 internal constant MAX_GAS_RATE_WEI = type(uint64).max;

    // ------------------------------------------------------------------ §7.10 schedule (bonds.rs)

    uint256 internal constant GAS_CHALLENGE = 150_000;
    uint256 internal constant GAS_EVIDENCE_PER_METER = 75_000;
    uint256 internal constant GAS_FINALIZE_BASE = 200_000;
    uint256 internal constant GAS_FINALIZE_PER_PROSUMER = 12_000;
    uint256 internal constant GAS_REPORT_EQUIVOCATION = 120_000;
    uint256 internal constant GAS_REPORT_INCONSISTENCY_BASE = 100_000;
    uint256 internal constant GAS_REPORT_PER_READING = 20_000;
    uint256 public constant MAX_EVIDENCE_CHUNK = 32;
    uint256 public constant MAX_FRAUD_PROOF_READINGS = 2 * MAX_PROSUMERS;
    /// Most readings one chunk of a fraud proof may carry (about 12,500 gas each).
    uint256 public constant MAX_FRAUD_PROOF_CHUNK = 32;

    /// secp256k1 group order and its half (the low-s bound, spec §4.1).
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant READING_TYPEHASH =
        keccak256("Reading(address meter,uint64 slot,uint64 producedWh,uint64 consumedWh)");
    bytes32 internal constant RESULT_TYPEHASH = keccak256(
        "WindowResult(uint32 window,bytes32 prevHash,uint64[] produced,uint64[] consumed,bytes32 readingsRoot)"
    );

    // ------------------------------------------------------------------ errors (ContractError)

    error WrongPhase(Phase actual);
    error NotAWallet(address who);
    error NotANode(address who);
    error WrongAmount(uint256 expected, uint256 got);
    error UnexpectedValue(uint256 value);
    error AlreadyPaid();
    error FundingClosed(uint64 start);
    error FundingStillOpen(uint64 start);
    error AllWindowsFinal();
    error WindowNotNext(uint32 expected, uint32 got);
    error WindowNotEnded(uint32 window, uint64 endsAt, uint64 now);
    error PrevHashMismatch(bytes32 expected, bytes32 got);
    error MalformedResult(string reason);
    error WrongSignatureCount(uint256 expected, uint256 got);
    error BadSignature(uint256 index, uint8 reason, uint8 v);
    error UnknownSigner(uint256 index, address signer);
    error DuplicateSigner(address signer);
    error SlashedSigner(uint256 index);
    error SlashedNode(uint256 node);
    error NothingToChallenge(uint32 window, uint64 escapeAt);
    error AlreadyPending(uint32 window);
    error NoPending(uint32 window);
    error ChallengePeriodRunning(uint32 window, uint64 until);
    error SigningPeriodRunning(uint32 window, uint64 until);
    error ChallengePeriodOver(uint32 window, uint64 until);
    error DisputeAlreadyOpen(uint32 window);
    error NoDispute(uint32 window);
    error DisputeDeadlinePassed(uint32 window, uint64 deadline);
    error DisputeStillOpen(uint32 window, uint64 deadline);
    error EvidenceSize(uint256 max, uint256 got);
    error ReadingBadSignature(uint256 index, uint8 reason, uint8 v);
    error ReadingSignerMismatch(uint256 index, address claimed, address recovered);
    error ReadingUnregisteredMeter(uint256 index, address meter);
    error ReadingValueTooLarge(uint256 index, uint64 produced, uint64 consumed);
    error ReadingOutsideContract(uint256 index, uint64 slot);
    error ReadingOutOfWindow(uint256 index, uint64 slot, uint32 window);
    error NotEquivocation();
    error SignersDiffer();
    error SelfReport();
    error AlreadySlashed(uint256 node);
    error RootMismatch();
    error NotFraud();
    error NotAllFinal(uint32 next);
    error SlashPeriodRunning(uint64 until);
    error NothingToWithdraw(address who);
    // Errors of the EVM's own shape (§7.9): no counterpart in the reference contract.
    error PendingMismatch(bytes32 pending, bytes32 got);
    error ProofOutOfSequence(uint32 expectedOffset, uint32 expectedTotal, uint32 offset, uint32 total);
    error TransferFailed(address to, uint256 amount);
    // ParamsError (§3), raised by the constructor.
    error NoProsumers();
    error TooManyProsumers(uint256 n);
    error LengthMismatch(uint256 nodes, uint256 meters, uint256 wallets, uint256 deposits);
    error ZeroAddress(string role, address who);
    error DuplicateAddress(string role, address who);
    error ZeroParam(string name);
    error TooLarge(string name, uint256 value, uint256 limit);
    error DisputeTooShort(uint64 dispute, uint64 collect);
    error TimeOverflow();
    error DisputeBondTooSmall(uint256 bond, uint256 needed, uint256 gas);

    // ------------------------------------------------------------------ events

    event Deposited(uint256 prosumer, uint256 amount);
    event Bonded(uint256 node, uint256 amount);
    event Activated();
    event Aborted();
    event WindowPending(uint32 window, bytes32 hash, uint64 until);
    event WindowFinalized(uint32 window, bytes32 hash, Path path, uint256 dust);
    event DisputeOpened(uint32 window, address by, uint64 deadline, bytes32 challenged);
    /// loser: 0 the challenger, 1 the asserter (bonds::Loser).
    event BondsSettled(uint32 window, uint8 loser, uint256 reimbursed, uint256 pooled);
    event EvidenceAdded(uint32 window, uint32 improved, uint32 ignored);
    event Slashed(uint256 node, address reporter, SlashReason reason, uint256 reward);
    event Closed();
    event Withdrawn(address to, uint256 amount);

    // ------------------------------------------------------------------ parameters (A-PARAMS-001)

    bytes32 public immutable DOMAIN_SEPARATOR;
    uint256 public immutable N;
    uint64 public immutable START;
    uint64 public immutable SLOT_SECS;
    uint64 public immutable SLOTS_PER_WINDOW;
    uint32 public immutable WINDOWS;
    uint128 public immutable BOND;
    uint128 public immutable PRICE_WEI_PER_WH;
    address public immutable DUST_RECIPIENT;
    uint64 public immutable CHALLENGE_PERIOD;
    /// collect + sign: from `windowEnd + SIGNING_DELAY` on, a partial result is taken (§7.3).
    uint64 public immutable SIGNING_DELAY;
    uint64 internal immutable SIGN_PERIOD;
    uint64 public immutable DISPUTE_PERIOD;
    uint64 public immutable SLASH_PERIOD;
    uint128 public immutable DISPUTE_BOND;
    uint128 public immutable GAS_RATE_WEI;

    address[] public nodes;
    address[] public meters;
    address[] public wallets;
    uint128[] public deposits;
    /// index + 1 of each registered address (0: not registered).
    mapping(address => uint256) internal nodeIndex1;
    mapping(address => uint256) internal meterIndex1;
    mapping(address => uint256) internal walletIndex1;

    // ------------------------------------------------------------------ state

    /// One slot: the phase, the next window and three bitmaps over prosumers (N ≤ 64).
    struct Status {
        Phase phase;
        uint32 nextWindow;
        uint64 deposited;
        uint64 bonded;
        uint64 slashed;
    }

    Status public status;
    uint128[] public balances;
    uint128[] public bonds;
    uint128 public dust;
    uint128 public slashPool;
    bytes32 public lastHash;
    uint64 public lastFinalAt;

    /// Wei paid in and not yet paid out: the accounts below always sum to it, and the
    /// contract's ether is at least it (ether can be forced in, never claimed; §15 item 7).
    uint256 public held;
    /// Sums of the two mappings below, for the conservation check (INV-FUNDS-001).
    uint256 public totalRewards;
    uint256 public totalOwed;
    mapping(address => uint256) public rewards;
    mapping(address => uint256) public owed;

    /// The pending result: only its hash is stored.
    bytes32 public pendingHash;
    uint64 public pendingUntil;
    /// The pending result has fewer than all unslashed signatures, and the node that bonded
    /// it (index + 1, 0 for a certificate); same storage word as `pendingUntil`. Set with
    /// every pending result and read only while one is pending, so never cleared.
    bool internal pendingPartial;
    uint8 internal pendingAsserter;
    /// keccak256(produced ‖ consumed) of the pending result: a challenge is decided by
    /// comparing the outcome's totals with these (§7.10).
    bytes32 internal pendingTotals;

    /// The open dispute. Its evidence lives under a fresh `disputeNonce`, so finalising a
    /// window prunes it without touching each slot (spec §9).
    /// `challenger` and `asserter` are node index + 1 (0: none; an escape has neither).
    struct DisputeState {
        bool open;
        uint32 window;
        uint64 deadline;
        uint8 challenger;
        uint8 asserter;
        uint64 nonce;
        bytes32 challenged;
        bytes32 challengedTotals;
    }

    DisputeState public dispute;
    uint64 internal disputeNonce;
    /// (nonce, meter) => poster << 200 | 1 << 192 | slot << 128 | produced << 64 | consumed:
    /// the meter's deciding values so far (spec §5.2), 0 while it has no evidence, and the
    /// node (index + 1, 0 for none) whose reading last changed them (§7.10).
    mapping(bytes32 => uint256) internal evidenceMeter;

    /// A fraud proof being checked in chunks (§7.7, §7.9), keyed by (reporter, claim, signature).
    /// A chunk at offset 0 starts it afresh; each later chunk must continue exactly where the
    /// last one ended, so a resent, reordered or stale chunk is refused by name.
    struct FraudProof {
        bool started;
        bool fraud;
        uint8 node;
        uint32 count;
        uint32 total;
        uint16 lastMeter; // meter index + 1 of the last reading (0: none yet)
        uint64 lastSlot;
        uint8 groupCount; // readings of the current meter so far (a deciding set has 1 or 2)
        uint64 groupProduced; // the current meter's first reading
        uint64 groupConsumed;
        uint64 runProduced; // the current meter's deciding values
        uint64 runConsumed;
        bytes32 root;
        bytes32 lastLeaf;
    }

    mapping(bytes32 => FraudProof) internal proofs;

    // ------------------------------------------------------------------ §7.1 open

    constructor(Params memory p) {
        _validate(p);
        uint256 n = p.nodes.length;
        N = n;
        START = p.start;
        SLOT_SECS = p.slotSecs;
        SLOTS_PER_WINDOW = p.slotsPerWindow;
        WINDOWS = p.windows;
        BOND = p.bond;
        PRICE_WEI_PER_WH = p.priceWeiPerWh;
        DUST_RECIPIENT = p.dustRecipient;
        CHALLENGE_PERIOD = p.challengePeriod;
        SIGNING_DELAY = p.collectPeriod + p.signPeriod;
        SIGN_PERIOD = p.signPeriod;
        DISPUTE_PERIOD = p.disputePeriod;
        SLASH_PERIOD = p.slashPeriod;
        DISPUTE_BOND = p.disputeBond;
        GAS_RATE_WEI = p.gasRateWei;
        bytes32 separator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("DIVERSITY"), keccak256("2"), block.chainid, address(this))
        );
        DOMAIN_SEPARATOR = separator;
        lastHash = separator; // the genesis hash (spec §4.3)
        for (uint256 i = 0; i < n; i++) {
            nodes.push(p.nodes[i]);
            meters.push(p.meters[i]);
            wallets.push(p.wallets[i]);
            deposits.push(p.deposits[i]);
            nodeIndex1[p.nodes[i]] = i + 1;
            meterIndex1[p.meters[i]] = i + 1;
            walletIndex1[p.wallets[i]] = i + 1;
            balances.push(0);
            bonds.push(0);
        }
    }

    /// `Params::validate` (spec §3), check for check.
    function _validate(Params memory p) internal pure {
        uint256 n = p.nodes.length;
        if (n == 0) revert NoProsumers();
        if (n > MAX_PROSUMERS) revert TooManyProsumers(n);
        if (p.meters.length != n || p.wallets.length != n || p.deposits.length != n) {
            revert LengthMismatch(n, p.meters.length, p.wallets.length, p.deposits.length);
        }
        _checkAddresses("node", p.nodes);
        _checkAddresses("meter", p.meters);
        _checkAddresses("wallet", p.wallets);
        if (p.dustRecipient == address(0)) revert ZeroAddress("dust recipient", address(0));
        if (p.slotSecs == 0) revert ZeroParam("slot_secs");
        if (p.slotsPerWindow == 0) revert ZeroParam("slots_per_window");
        if (p.windows == 0) revert ZeroParam("windows");
        if (p.disputePeriod == 0) revert ZeroParam("dispute_period");
        if (p.slashPeriod == 0) revert ZeroParam("slash_period");
        if (p.signPeriod == 0) revert ZeroParam("sign_period");
        if (p.slotsPerWindow > MAX_SLOTS_PER_WINDOW) {
            revert TooLarge("slots_per_window", p.slotsPerWindow, MAX_SLOTS_PER_WINDOW);
        }
        if (p.priceWeiPerWh > MAX_PRICE_WEI_PER_WH) {
            revert TooLarge("price_wei_per_wh", p.priceWeiPerWh, MAX_PRICE_WEI_PER_WH);
        }
        if (p.bond > MAX_AMOUNT_WEI) revert TooLarge("bond", p.bond, MAX_AMOUNT_WEI);
        if (p.disputeBond > MAX_AMOUNT_WEI) revert TooLarge("dispute_bond", p.disputeBond, MAX_AMOUNT_WEI);
        if (p.gasRateWei > MAX_GAS_RATE_WEI) revert TooLarge("gas_rate_wei", p.gasRateWei, MAX_GAS_RATE_WEI);
        for (uint256 i = 0; i < n; i++) {
            if (p.deposits[i] > MAX_AMOUNT_WEI) revert TooLarge("deposit", p.deposits[i], MAX_AMOUNT_WEI);
        }
        if (p.disputePeriod <= p.collectPeriod) revert DisputeTooShort(p.disputePeriod, p.collectPeriod);
        // A loser's bond pays every reimbursement of a dispute in full (§7.10).
        uint256 gas = GAS_CHALLENGE + GAS_EVIDENCE_PER_METER * n + GAS_FINALIZE_BASE + GAS_FINALIZE_PER_PROSUMER * n;
        if (p.disputeBond < p.gasRateWei * gas) revert DisputeBondTooSmall(p.disputeBond, p.gasRateWei * gas, gas);
        // Every deadline of the last window must fit in 64-bit time.
        uint256 last = uint256(p.windows) * p.slotsPerWindow * p.slotSecs + p.start + p.collectPeriod
            + p.signPeriod + p.challengePeriod + p.disputePeriod + p.slashPeriod + p.disputePeriod;
        if (last > type(uint64).max) revert TimeOverflow();
    }

    function _checkAddresses(string memory role, address[] memory set) internal pure {
        for (uint256 i = 0; i < set.length; i++) {
            if (set[i] == address(0)) revert ZeroAddress(role, address(0));
            for (uint256 k = 0; k < i; k++) {
                if (set[k] == set[i]) revert DuplicateAddress(role, set[i]);
            }
        }
    }

    // ------------------------------------------------------------------ common checks

    function _noValue() internal view {
        if (msg.value != 0) revert UnexpectedValue(msg.value);
    }

    function _requirePhase(Phase phase) internal view returns (Status memory s) {
        s = status;
        if (s.phase != phase) revert WrongPhase(s.phase);
    }

    function _requireNext(Status memory s, uint32 window) internal view {
        if (s.nextWindow >= WINDOWS) revert AllWindowsFinal();
        if (window != s.nextWindow) revert WindowNotNext(s.nextWindow, window);
    }

    function windowEnd(uint32 window) public view returns (uint64) {
        return START + (uint64(window) + 1) * SLOTS_PER_WINDOW * SLOT_SECS;
    }

    function _requireEnded(uint32 window) internal view {
        uint64 endsAt = windowEnd(window);
        if (block.timestamp < endsAt) revert WindowNotEnded(window, endsAt, uint64(block.timestamp));
    }

    function _nodeIndex(address who) internal view returns (uint256) {
        uint256 j = nodeIndex1[who];
        if (j == 0) revert NotANode(who);
        return j - 1;
    }

    // ------------------------------------------------------------------ §4 hashing

    function _signingHash(bytes32 structHash) internal view returns (bytes32 digest) {
        bytes32 separator = DOMAIN_SEPARATOR;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, hex"1901")
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }

    /// `h_w` (spec §4.3): the EIP-712 digest of a window result.
    function resultDigest(WindowResult calldata r) public view returns (bytes32) {
        return _signingHash(
            keccak256(
                abi.encode(
                    RESULT_TYPEHASH,
                    r.window,
                    r.prevHash,
                    keccak256(abi.encodePacked(r.produced)),
                    keccak256(abi.encodePacked(r.consumed)),
                    r.readingsRoot
                )
            )
        );
    }

    function _resultDigestMem(WindowResult memory r) internal view returns (bytes32) {
        return _signingHash(
            keccak256(
                abi.encode(
                    RESULT_TYPEHASH,
                    r.window,
                    r.prevHash,
                    keccak256(abi.encodePacked(r.produced)),
                    keccak256(abi.encodePacked(r.consumed)),
                    r.readingsRoot
                )
            )
        );
    }

    function _readingStructHash(SignedReading calldata sr) internal pure returns (bytes32) {
        return keccak256(abi.encode(READING_TYPEHASH, sr.meter, sr.slot, sr.producedWh, sr.consumedWh));
    }

    /// `leaf = keccak256(structHash(reading) ‖ r ‖ s ‖ v)` (spec §4.4).
    function _leaf(bytes32 structHash, Signature calldata sig) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(structHash, sig.r, sig.s, sig.v));
    }

    /// Spec §4.1: v ∈ {27, 28}, low s, r and s in range, then `ecrecover`. Returns the
    /// signer, or 0 and the reason for refusal.
    function _recover(bytes32 digest, Signature calldata sig) internal pure returns (address signer, uint8 reason) {
        uint8 v = sig.v;
        if (v != 27 && v != 28) return (address(0), SIG_BAD_V);
        uint256 s = uint256(sig.s);
        uint256 r = uint256(sig.r);
        if (s > SECP256K1_HALF_N) return (address(0), SIG_HIGH_S);
        if (r == 0 || s == 0 || r >= SECP256K1_N) return (address(0), SIG_OUT_OF_RANGE);
        signer = ecrecover(digest, v, sig.r, sig.s);
        if (signer == address(0)) return (address(0), SIG_NO_RECOVERY);
        return (signer, 0);
    }

    /// The node that signed a result (checks 3–4 of the reports, §7.7).
    function _signerOf(SignedResult calldata sr, uint256 index) internal view returns (uint256 node, bytes32 digest) {
        digest = resultDigest(sr.result);
        (address signer, uint8 reason) = _recover(digest, sr.signature);
        if (reason != 0) revert BadSignature(index, reason, sr.signature.v);
        uint256 j = nodeIndex1[signer];
        if (j == 0) revert UnknownSigner(index, signer);
        node = j - 1;
    }

    /// `validate_reading` (spec §5.2), check for check. Returns the meter index.
    function _validateReading(SignedReading calldata sr, uint256 index, uint32 window)
        internal
        view
        returns (uint256 meter, bytes32 structHash)
    {
        uint256 max = uint256(SLOTS_PER_WINDOW) * MAX_READING_WH;
        if (sr.producedWh > max || sr.consumedWh > max) {
            revert ReadingValueTooLarge(index, sr.producedWh, sr.consumedWh);
        }
        uint256 m = meterIndex1[sr.meter];
        if (m == 0) revert ReadingUnregisteredMeter(index, sr.meter);
        structHash = _readingStructHash(sr);
        (address recovered, uint8 reason) = _recover(_signingHash(structHash), sr.signature);
        if (reason != 0) revert ReadingBadSignature(index, reason, sr.signature.v);
        if (recovered != sr.meter) revert ReadingSignerMismatch(index, sr.meter, recovered);
        uint64 total = uint64(WINDOWS) * SLOTS_PER_WINDOW;
        if (sr.slot >= total) revert ReadingOutsideContract(index, sr.slot);
        if (sr.slot / SLOTS_PER_WINDOW != window) revert ReadingOutOfWindow(index, sr.slot, window);
        meter = m - 1;
    }

    /// The same checks as a predicate, for fraud proofs (an invalid reading proves fraud).
    function _isValidReading(SignedReading calldata sr, bytes32 structHash, uint32 window)
        internal
        view
        returns (bool ok, uint256 meter)
    {
        uint256 max = uint256(SLOTS_PER_WINDOW) * MAX_READING_WH;
        if (sr.producedWh > max || sr.consumedWh > max) return (false, 0);
        uint256 m = meterIndex1[sr.meter];
        if (m == 0) return (false, 0);
        (address recovered, uint8 reason) = _recover(_signingHash(structHash), sr.signature);
        if (reason != 0 || recovered != sr.meter) return (false, 0);
        if (sr.slot >= uint64(WINDOWS) * SLOTS_PER_WINDOW || sr.slot / SLOTS_PER_WINDOW != window) {
            return (false, 0);
        }
        return (true, m - 1);
    }

    // ------------------------------------------------------------------ §7.2 funding

    function deposit() external payable {
        Status memory s = _requirePhase(Phase.Funding);
        uint256 i = walletIndex1[msg.sender];
        if (i == 0) revert NotAWallet(msg.sender);
        i -= 1;
        if (block.timestamp >= START) revert FundingClosed(START);
        if (s.deposited & uint64(1 << i) != 0) revert AlreadyPaid();
        uint256 expected = deposits[i];
        if (msg.value != expected) revert WrongAmount(expected, msg.value);
        s.deposited |= uint64(1 << i);
        balances[i] = uint128(msg.value);
        held += msg.value;
        emit Deposited(i, msg.value);
        _activateIfFunded(s);
    }

    function postBond() external payable {
        Status memory s = _requirePhase(Phase.Funding);
        uint256 j = _nodeIndex(msg.sender);
        if (block.timestamp >= START) revert FundingClosed(START);
        if (s.bonded & uint64(1 << j) != 0) revert AlreadyPaid();
        if (msg.value != BOND) revert WrongAmount(BOND, msg.value);
        s.bonded |= uint64(1 << j);
        bonds[j] = uint128(msg.value);
        held += msg.value;
        emit Bonded(j, msg.value);
        _activateIfFunded(s);
    }

    function _activateIfFunded(Status memory s) internal {
        uint64 all = N == 64 ? type(uint64).max : uint64((uint256(1) << N) - 1);
        if (s.deposited == all && s.bonded == all) {
            s.phase = Phase.Active;
            emit Activated();
        }
        status = s;
    }

    /// Funding incomplete at start: every payment is refunded exactly (INV-FUNDS-005).
    function abort() external payable {
        _noValue();
        Status memory s = _requirePhase(Phase.Funding);
        if (block.timestamp < START) revert FundingStillOpen(START);
        uint256 n = N;
        uint256 moved;
        for (uint256 i = 0; i < n; i++) {
            uint256 b = balances[i];
            uint256 d = bonds[i];
            if (b != 0) {
                owed[wallets[i]] += b;
                balances[i] = 0;
            }
            if (d != 0) {
                owed[nodes[i]] += d;
                bonds[i] = 0;
            }
            moved += b + d;
        }
        totalOwed += moved;
        s.phase = Phase.Aborted;
        status = s;
        emit Aborted();
    }

    // ------------------------------------------------------------------ §7.3 fast path

    /// Shape checks any honest result passes (steps 6–7 of §7.3).
    function _checkShape(WindowResult calldata r) internal view returns (bool ok, string memory reason) {
        uint256 n = N;
        if (r.produced.length != n || r.consumed.length != n) {
            return (false, "totals must have one entry per prosumer");
        }
        uint256 max = uint256(SLOTS_PER_WINDOW) * MAX_READING_WH;
        for (uint256 i = 0; i < n; i++) {
            if (r.produced[i] > max || r.consumed[i] > max) {
                return (false, "a total exceeds what one window of readings can reach");
            }
        }
        return (true, "");
    }

    function submitWindow(WindowResult calldata result, Signature[] calldata signatures) external payable {
        Status memory s = _requirePhase(Phase.Active);
        _requireNext(s, result.window);
        _requireEnded(result.window);
        bytes32 last = lastHash;
        if (result.prevHash != last) revert PrevHashMismatch(last, result.prevHash);
        (bool ok, string memory why) = _checkShape(result);
        if (!ok) revert MalformedResult(why);
        uint256 n = N;
        uint256 count = signatures.length;
        // Between 1 and N signatures by distinct unslashed nodes; INV-CERT-001: those of
        // every unslashed node make a certificate, fewer a partial result (§7.3).
        if (count == 0 || count > n) revert WrongSignatureCount(n, count);
        bytes32 hash = resultDigest(result);
        uint256 seen;
        for (uint256 k = 0; k < count; k++) {
            (address signer, uint8 reason) = _recover(hash, signatures[k]);
            if (reason != 0) revert BadSignature(k, reason, signatures[k].v);
            uint256 j = nodeIndex1[signer];
            if (j == 0) revert UnknownSigner(k, signer);
            uint256 bit = uint256(1) << (j - 1);
            if (seen & bit != 0) revert DuplicateSigner(signer);
            if (s.slashed & bit != 0) revert SlashedSigner(k);
            seen |= bit;
        }
        // An open dispute is decided by its evidence alone: no result replaces it.
        if (dispute.open) revert DisputeAlreadyOpen(result.window);
        if (pendingHash != bytes32(0)) revert AlreadyPending(result.window);
        bool isPartial = count < _unslashed(s);
        uint8 asserter;
        if (isPartial) {
            // Only once unanimity had its chance, by a node that bonds it (§7.10).
            uint64 from = windowEnd(result.window) + SIGNING_DELAY;
            if (block.timestamp < from) revert SigningPeriodRunning(result.window, from);
            asserter = uint8(_nodeIndex(msg.sender) + 1);
            if (msg.value != DISPUTE_BOND) revert WrongAmount(DISPUTE_BOND, msg.value);
            held += msg.value;
        } else {
            _noValue();
        }
        if (!isPartial && CHALLENGE_PERIOD == 0) {
            _finalize(s, result.produced, result.consumed, hash, Path.FastPath);
        } else {
            uint64 until = uint64(block.timestamp) + (isPartial ? DISPUTE_PERIOD : CHALLENGE_PERIOD);
            pendingHash = hash;
            pendingUntil = until;
            pendingPartial = isPartial;
            pendingAsserter = asserter;
            pendingTotals = keccak256(abi.encodePacked(result.produced, result.consumed));
            emit WindowPending(result.window, hash, until);
        }
    }

    /// Unslashed nodes: their signatures, all of them, make a certificate (§7.3, §7.7).
    function _unslashed(Status memory s) internal view returns (uint256 u) {
        uint256 n = N;
        for (uint256 i = 0; i < n; i++) {
            if (s.slashed & uint64(1 << i) == 0) u++;
        }
    }

    /// Credits `amount` wei to `to`, withdrawable after close (refunds, reimbursements).
    function _credit(address to, uint256 amount) internal {
        if (amount != 0) {
            rewards[to] += amount;
            totalRewards += amount;
        }
    }

    /// Takes the pending result again: only its hash is stored (spec §7.9).
    function finalizePending(WindowResult calldata result) external payable {
        _noValue();
        Status memory s = _requirePhase(Phase.Active);
        _requireNext(s, result.window);
        bytes32 pending = pendingHash;
        if (pending == bytes32(0)) revert NoPending(result.window);
        uint64 until = pendingUntil;
        if (block.timestamp < until) revert ChallengePeriodRunning(result.window, until);
        bytes32 hash = resultDigest(result);
        if (hash != pending) revert PendingMismatch(pending, hash);
        // Unchallenged: the asserter's bond is refunded.
        uint8 asserter = pendingAsserter;
        if (asserter != 0) _credit(nodes[asserter - 1], DISPUTE_BOND);
        _finalize(s, result.produced, result.consumed, hash, pendingPartial ? Path.Partial : Path.FastPath);
    }

    /// Spec §7.5: the reaction (§8), the record, the link, pruning.
    function _finalize(
        Status memory s,
        uint64[] memory produced,
        uint64[] memory consumed,
        bytes32 hash,
        Path path
    ) internal {
        uint256 windowDust = _settle(produced, consumed);
        if (windowDust != 0) dust += uint128(windowDust);
        uint32 window = s.nextWindow;
        s.nextWindow = window + 1;
        status = s;
        lastHash = hash;
        lastFinalAt = uint64(block.timestamp);
        if (pendingHash != bytes32(0)) {
            pendingHash = bytes32(0);
            pendingUntil = 0;
        }
        if (dispute.open) delete dispute;
        emit WindowFinalized(window, hash, path, windowDust);
    }

    /// The reaction (spec §8), in the integer arithmetic of `reaction::settle`:
    /// surplus meets deficit pro rata, buyers pay at most their balance, sellers share what
    /// buyers paid pro rata to their surplus, and the rounding remainder is dust.
    function _settle(uint64[] memory produced, uint64[] memory consumed) internal returns (uint256) {
        uint256 n = produced.length;
        uint256[] memory surplus = new uint256[](n);
        uint256[] memory deficit = new uint256[](n);
        uint256 totalSurplus;
        uint256 totalDeficit;
        for (uint256 i = 0; i < n; i++) {
            uint256 p = produced[i];
            uint256 c = consumed[i];
            if (p > c) {
                surplus[i] = p - c;
                totalSurplus += p - c;
            } else if (c > p) {
                deficit[i] = c - p;
                totalDeficit += c - p;
            }
        }
        uint256 matched = totalSurplus < totalDeficit ? totalSurplus : totalDeficit;
        if (matched == 0) return 0;
        uint256 price = PRICE_WEI_PER_WH;
        uint256 pool;
        for (uint256 i = 0; i < n; i++) {
            if (deficit[i] == 0) continue;
            uint256 bought = matched * deficit[i] / totalDeficit;
            uint256 pay = bought * price;
            uint256 balance = balances[i];
            if (pay > balance) pay = balance; // INV-FUNDS-003: never beyond the balance
            if (pay != 0) {
                balances[i] = uint128(balance - pay);
                pool += pay;
            }
        }
        if (pool == 0) return 0;
        uint256 shared;
        for (uint256 i = 0; i < n; i++) {
            if (surplus[i] == 0) continue;
            uint256 received = pool * surplus[i] / totalSurplus;
            if (received != 0) {
                balances[i] += uint128(received);
                shared += received;
            }
        }
        // INV-FUNDS-002: Σpaid = Σreceived + dust.
        return pool - shared;
    }

    // ------------------------------------------------------------------ §7.4 dispute path

    /// A challenge of the pending result (by an unslashed node, bonded, within the period),
    /// or, when nothing is pending, an escape once a live honest node would have put a
    /// result on chain (anyone, no bond: F6).
    function openDispute(uint32 window) external payable {
        Status memory s = _requirePhase(Phase.Active);
        _requireNext(s, window);
        _requireEnded(window);
        if (dispute.open) revert DisputeAlreadyOpen(window);
        bytes32 challenged = pendingHash;
        uint8 challenger;
        uint8 asserter;
        bytes32 totals;
        if (challenged != bytes32(0)) {
            uint64 until = pendingUntil;
            if (block.timestamp >= until) revert ChallengePeriodOver(window, until);
            uint256 by = _nodeIndex(msg.sender);
            if (s.slashed & uint64(1 << by) != 0) revert SlashedNode(by);
            if (msg.value != DISPUTE_BOND) revert WrongAmount(DISPUTE_BOND, msg.value);
            held += msg.value;
            challenger = uint8(by + 1);
            asserter = pendingAsserter;
            totals = pendingTotals;
            pendingHash = bytes32(0);
            pendingUntil = 0;
        } else {
            uint64 escapeAt = escapeTime(window);
            if (block.timestamp < escapeAt) revert NothingToChallenge(window, escapeAt);
            _noValue();
        }
        uint64 deadline = uint64(block.timestamp) + DISPUTE_PERIOD;
        uint64 nonce = ++disputeNonce;
        dispute = DisputeState({
            open: true,
            window: window,
            deadline: deadline,
            challenger: challenger,
            asserter: asserter,
            nonce: nonce,
            challenged: challenged,
            challengedTotals: totals
        });
        emit DisputeOpened(window, msg.sender, deadline, challenged);
    }

    /// From when a dispute with nothing to challenge may be opened (§7.4): one sign and one
    /// dispute period after the freeze (the end of the collect period, or the previous
    /// window's finality if later).
    function escapeTime(uint32 window) public view returns (uint64) {
        uint64 freeze = windowEnd(window) + SIGNING_DELAY - SIGN_PERIOD;
        uint64 lastAt = lastFinalAt;
        if (lastAt > freeze) freeze = lastAt;
        return freeze + SIGN_PERIOD + DISPUTE_PERIOD;
    }

    /// Adds meter-signed readings to the evidence (spec §5.2, §7.4). Per meter one word keeps
    /// the deciding values: a later slot replaces them, the same slot keeps the least
    /// produced and the greatest consumed, an earlier slot changes nothing. The outcome is a
    /// join, so it depends only on the set of readings (INV-CONFLUENCE-001).
    function addEvidence(uint32 window, SignedReading[] calldata readings) external payable {
        _noValue();
        _requirePhase(Phase.Active);
        if (readings.length == 0 || readings.length > MAX_EVIDENCE_CHUNK) {
            revert EvidenceSize(MAX_EVIDENCE_CHUNK, readings.length);
        }
        DisputeState memory d = dispute;
        if (!d.open || d.window != window) revert NoDispute(window);
        if (block.timestamp >= d.deadline) revert DisputeDeadlinePassed(window, d.deadline);
        uint256[] memory meterOf = new uint256[](readings.length);
        for (uint256 k = 0; k < readings.length; k++) {
            (meterOf[k],) = _validateReading(readings[k], k, window);
        }
        // The node credited for each meter whose values this call changes (§7.10).
        uint256 poster = nodeIndex1[msg.sender] << 200;
        uint32 improved;
        uint32 ignored;
        for (uint256 k = 0; k < readings.length; k++) {
            SignedReading calldata sr = readings[k];
            bytes32 key = keccak256(abi.encode(d.nonce, meterOf[k]));
            uint256 stored = evidenceMeter[key];
            uint256 entry = stored & ((uint256(1) << 200) - 1);
            uint256 joined;
            if (entry == 0 || sr.slot > uint64(entry >> 128)) {
                joined = (uint256(1) << 192) | (uint256(sr.slot) << 128) | (uint256(sr.producedWh) << 64)
                    | sr.consumedWh;
            } else if (sr.slot == uint64(entry >> 128)) {
                uint64 p = uint64(entry >> 64);
                uint64 c = uint64(entry);
                if (sr.producedWh < p) p = sr.producedWh;
                if (sr.consumedWh > c) c = sr.consumedWh;
                joined = (uint256(1) << 192) | (uint256(sr.slot) << 128) | (uint256(p) << 64) | c;
            } else {
                joined = entry;
            }
            if (joined != entry) {
                evidenceMeter[key] = joined | poster;
                improved++;
            } else {
                ignored++;
            }
        }
        emit EvidenceAdded(window, improved, ignored);
    }

    function finalizeDispute(uint32 window) external payable {
        _noValue();
        Status memory s = _requirePhase(Phase.Active);
        DisputeState memory d = dispute;
        if (!d.open || d.window != window) revert NoDispute(window);
        if (block.timestamp < d.deadline) revert DisputeStillOpen(window, d.deadline);
        uint256 n = N;
        WindowResult memory outcome;
        outcome.window = window;
        outcome.prevHash = lastHash;
        outcome.produced = new uint64[](n);
        outcome.consumed = new uint64[](n);
        uint256 posters;
        uint256[] memory credited = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 e = evidenceMeter[keccak256(abi.encode(d.nonce, i))];
            outcome.produced[i] = uint64(e >> 64);
            outcome.consumed[i] = uint64(e);
            uint256 by = e >> 200;
            if (by != 0) {
                credited[by - 1]++;
                posters++;
            }
        }
        // readingsRoot is zero: the evidence itself was on chain.
        bytes32 hash = _resultDigestMem(outcome);
        _finalize(s, outcome.produced, outcome.consumed, hash, Path.Dispute);
        if (d.challenger != 0) {
            _settleBonds(d, keccak256(abi.encodePacked(outcome.produced, outcome.consumed)), credited, posters);
        }
    }

    /// Decides a challenge by its outcome (§7.10, INV-BOND-001/002): the winner's bond is
    /// refunded; the loser's reimburses, at the stated rate, the challenge (when the
    /// challenger won), each meter's evidence to the node that put it on chain and the
    /// finalisation to its sender; the rest goes to the slash pool. A certificate of the
    /// hardened variant has no bond: a challenge that beats it is only refunded.
    function _settleBonds(DisputeState memory d, bytes32 outcomeTotals, uint256[] memory credited, uint256 posters)
        internal
    {
        uint256 bond = DISPUTE_BOND;
        bool challengerLost = outcomeTotals == d.challengedTotals;
        uint8 winner = challengerLost ? d.asserter : d.challenger;
        if (winner != 0) _credit(nodes[winner - 1], bond);
        uint256 forfeited = (challengerLost || d.asserter != 0) ? bond : 0;
        uint256 reimbursed;
        if (forfeited != 0) {
            uint256 rate = GAS_RATE_WEI;
            if (!challengerLost) {
                _credit(nodes[d.challenger - 1], rate * GAS_CHALLENGE);
                reimbursed += rate * GAS_CHALLENGE;
            }
            if (posters != 0) {
                for (uint256 j = 0; j < credited.length; j++) {
                    uint256 amount = rate * GAS_EVIDENCE_PER_METER * credited[j];
                    _credit(nodes[j], amount);
                    reimbursed += amount;
                }
            }
            uint256 fin = rate * (GAS_FINALIZE_BASE + GAS_FINALIZE_PER_PROSUMER * N);
            _credit(msg.sender, fin);
            reimbursed += fin;
        }
        slashPool += uint128(forfeited - reimbursed);
        emit BondsSettled(d.window, challengerLost ? 0 : 1, reimbursed, forfeited - reimbursed);
    }

    // ------------------------------------------------------------------ §7.7 slashing

    function reportEquivocation(SignedResult calldata first, SignedResult calldata second) external payable {
        _noValue();
        _requirePhase(Phase.Active);
        bytes32 a = resultDigest(first.result);
        bytes32 b = resultDigest(second.result);
        if (first.result.window != second.result.window || a == b) revert NotEquivocation();
        (uint256 x,) = _signerOf(first, 0);
        (uint256 y,) = _signerOf(second, 1);
        if (x != y) revert SignersDiffer();
        if (nodes[x] == msg.sender) revert SelfReport();
        _requireUnslashed(x);
        _slash(x, SlashReason.Equivocation, GAS_REPORT_EQUIVOCATION);
    }

    /// A fraud proof (spec §7.7), checked in one pass over the readings in the order given,
    /// possibly over several calls: the readings `[offset, offset + len)` of a proof of
    /// `total` readings (spec §7.9). The chunk that reaches `total` decides. The outcome of a
    /// proof equals the reference contract's outcome on the concatenated readings.
    function reportInconsistency(
        SignedResult calldata claim,
        SignedReading[] calldata readings,
        uint32 offset,
        uint32 total
    ) external payable {
        _noValue();
        _requirePhase(Phase.Active);
        if (readings.length > MAX_FRAUD_PROOF_CHUNK) revert EvidenceSize(MAX_FRAUD_PROOF_CHUNK, readings.length);
        bytes32 id = keccak256(abi.encode(msg.sender, claim.signature.r, claim.signature.s, claim.signature.v));
        bytes32 digest = resultDigest(claim.result);
        id = keccak256(abi.encode(id, digest));
        FraudProof memory f;
        if (offset == 0) {
            // A proof starts afresh: whatever an earlier, unfinished attempt left is dropped.
            if (total > MAX_FRAUD_PROOF_READINGS) revert EvidenceSize(MAX_FRAUD_PROOF_READINGS, total);
            (uint256 node,) = _signerOf(claim, 0);
            if (nodes[node] == msg.sender) revert SelfReport();
            // Before the proof is checked: a report beaten to it fails cheaply (F4).
            _requireUnslashed(node);
            f.started = true;
            f.node = uint8(node);
            f.total = total;
            // A result for no window, or of the wrong shape, is fraud whatever the readings.
            (bool shapeOk,) = _checkShape(claim.result);
            f.fraud = claim.result.window >= WINDOWS || !shapeOk;
        } else {
            f = proofs[id];
            if (!f.started || offset != f.count || total != f.total) {
                revert ProofOutOfSequence(f.count, f.total, offset, total);
            }
        }
        if (uint256(offset) + readings.length > total) {
            revert ProofOutOfSequence(f.count, f.total, offset, total);
        }
        for (uint256 k = 0; k < readings.length; k++) {
            _proofStep(f, claim.result, readings[k]);
        }
        if (f.count < total) {
            proofs[id] = f;
            return;
        }
        _requireUnslashed(f.node);
        if (f.root != claim.result.readingsRoot) revert RootMismatch();
        if (!f.fraud) {
            // Close the last meter's run and check every later meter claimed nothing.
            f.fraud = !_runMatches(claim.result, f.lastMeter, f.runProduced, f.runConsumed)
                || !_claimsZeroFrom(claim.result, f.lastMeter);
        }
        if (!f.fraud) revert NotFraud();
        delete proofs[id];
        _slash(f.node, SlashReason.Inconsistency, GAS_REPORT_INCONSISTENCY_BASE + GAS_REPORT_PER_READING * total);
    }

    /// One reading of a fraud proof: extend the hash chain; unless fraud is already shown,
    /// check the reading, the canonical order and that the list is its own deciding set
    /// (spec §5.2: per meter one slot, and one reading or two that split the two deciding
    /// roles), and keep the current meter's deciding values.
    function _proofStep(FraudProof memory f, WindowResult calldata claim, SignedReading calldata sr) internal view {
        bytes32 structHash = _readingStructHash(sr);
        bytes32 leaf = _leaf(structHash, sr.signature);
        f.root = keccak256(abi.encodePacked(f.root, leaf));
        f.count += 1;
        if (f.fraud) return;
        (bool ok, uint256 m) = _isValidReading(sr, structHash, claim.window);
        if (!ok) {
            f.fraud = true;
            return;
        }
        uint16 meter1 = uint16(m + 1);
        if (meter1 == f.lastMeter) {
            if (sr.slot < f.lastSlot || (sr.slot == f.lastSlot && leaf <= f.lastLeaf)) {
                f.fraud = true; // not in strictly increasing canonical order
                return;
            }
            // A second reading of the meter must share its slot, be the last of the meter, and
            // the pair must split the roles: one least produced, the other greatest consumed
            // (the first, with the smaller leaf, winning ties).
            bool firstLeastProduced = f.groupProduced <= sr.producedWh;
            bool firstMostConsumed = f.groupConsumed >= sr.consumedWh;
            if (sr.slot != f.lastSlot || f.groupCount != 1 || firstLeastProduced == firstMostConsumed) {
                f.fraud = true;
                return;
            }
            f.groupCount = 2;
            if (!firstLeastProduced) f.runProduced = sr.producedWh;
            if (!firstMostConsumed) f.runConsumed = sr.consumedWh;
        } else {
            if (meter1 < f.lastMeter) {
                f.fraud = true;
                return;
            }
            // The previous meter is complete; meters skipped in between claimed zero.
            if (
                !_runMatches(claim, f.lastMeter, f.runProduced, f.runConsumed)
                    || !_claimsZeroBetween(claim, f.lastMeter, meter1)
            ) {
                f.fraud = true;
                return;
            }
            f.lastMeter = meter1;
            f.lastSlot = sr.slot;
            f.groupCount = 1;
            f.groupProduced = sr.producedWh;
            f.groupConsumed = sr.consumedWh;
            f.runProduced = sr.producedWh;
            f.runConsumed = sr.consumedWh;
        }
        f.lastLeaf = leaf;
    }

    /// Whether meter `meter1 - 1`'s claimed totals equal its run (true when no meter yet).
    function _runMatches(WindowResult calldata claim, uint16 meter1, uint64 p, uint64 c) internal pure returns (bool) {
        if (meter1 == 0) return true;
        return claim.produced[meter1 - 1] == p && claim.consumed[meter1 - 1] == c;
    }

    /// Whether every meter strictly between `from1 - 1` and `to1 - 1` claimed zero.
    function _claimsZeroBetween(WindowResult calldata claim, uint16 from1, uint16 to1) internal pure returns (bool) {
        for (uint256 i = from1; i + 1 < to1; i++) {
            if (claim.produced[i] != 0 || claim.consumed[i] != 0) return false;
        }
        return true;
    }

    /// Whether every meter after `from1 - 1` claimed zero.
    function _claimsZeroFrom(WindowResult calldata claim, uint16 from1) internal pure returns (bool) {
        for (uint256 i = from1; i < claim.produced.length; i++) {
            if (claim.produced[i] != 0 || claim.consumed[i] != 0) return false;
        }
        return true;
    }

    function _requireUnslashed(uint256 node) internal view {
        if (status.slashed & uint64(1 << node) != 0) revert AlreadySlashed(node);
    }

    /// Slashing (§7.7, F4): the reporter is reimbursed its report's gas at the stated rate
    /// (at most the bond), the rest goes to the slash pool: copying a report earns its gas
    /// and nothing more.
    function _slash(uint256 node, SlashReason reason, uint256 gas) internal {
        Status memory s = status;
        s.slashed |= uint64(1 << node);
        status = s;
        uint256 bond = bonds[node];
        bonds[node] = 0;
        uint256 reward = GAS_RATE_WEI * gas;
        if (reward > bond) reward = bond;
        _credit(msg.sender, reward);
        slashPool += uint128(bond - reward);
        emit Slashed(node, msg.sender, reason, reward);
    }

    // ------------------------------------------------------------------ §7.8 close, withdraw

    function close() external payable {
        _noValue();
        Status memory s = _requirePhase(Phase.Active);
        if (s.nextWindow < WINDOWS) revert NotAllFinal(s.nextWindow);
        uint64 until = lastFinalAt + SLASH_PERIOD;
        if (block.timestamp < until) revert SlashPeriodRunning(until);
        uint256 n = N;
        uint256 unslashed;
        for (uint256 i = 0; i < n; i++) {
            if (s.slashed & uint64(1 << i) == 0) unslashed++;
        }
        uint256 pool = slashPool;
        uint256 share = unslashed > 0 ? pool / unslashed : 0;
        uint256 moved;
        for (uint256 i = 0; i < n; i++) {
            uint256 b = balances[i];
            if (b != 0) {
                owed[wallets[i]] += b;
                balances[i] = 0;
                moved += b;
            }
            if (s.slashed & uint64(1 << i) == 0) {
                uint256 amount = uint256(bonds[i]) + share;
                if (amount != 0) {
                    owed[nodes[i]] += amount;
                    bonds[i] = 0;
                    moved += amount;
                }
            }
        }
        // Reporters' rewards stay in `rewards` and are paid by `withdraw` with `owed`.
        uint256 rest = uint256(dust) + pool - share * unslashed;
        if (rest != 0) {
            owed[DUST_RECIPIENT] += rest;
            moved += rest;
        }
        dust = 0;
        slashPool = 0;
        totalOwed += moved;
        s.phase = Phase.Closed;
        status = s;
        emit Closed();
    }

    /// Pull payment: the entitlement is zeroed before the transfer (no re-entrancy).
    function withdraw() external payable {
        _noValue();
        Phase phase = status.phase;
        if (phase != Phase.Closed && phase != Phase.Aborted) revert WrongPhase(phase);
        uint256 o = owed[msg.sender];
        uint256 r = rewards[msg.sender];
        uint256 amount = o + r;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (o != 0) {
            owed[msg.sender] = 0;
            totalOwed -= o;
        }
        if (r != 0) {
            rewards[msg.sender] = 0;
            totalRewards -= r;
        }
        // INV-FUNDS-001 on the EVM: never equality, which forced ether would break for good.
        assert(address(this).balance >= held);
        held -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert TransferFailed(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    /// What `from` may withdraw now or after close.
    function entitlement(address who) external view returns (uint256) {
        return owed[who] + rewards[who];
    }

    /// INV-FUNDS-001: every account the contract keeps. The ether held is at least this
    /// (equal unless someone forced ether in without a call, which no account can claim).
    function accountsTotal() public view returns (uint256 total) {
        uint256 n = N;
        for (uint256 i = 0; i < n; i++) {
            total += uint256(balances[i]) + bonds[i];
        }
        total += uint256(dust) + slashPool + totalRewards + totalOwed;
        // Claim bonds locked in the pending result and the open dispute (§7.10).
        if (pendingHash != bytes32(0) && pendingAsserter != 0) total += DISPUTE_BOND;
        DisputeState memory d = dispute;
        if (d.open && d.challenger != 0) total += d.asserter != 0 ? 2 * uint256(DISPUTE_BOND) : DISPUTE_BOND;
    }

    /// Meter `meter`'s evidence in the open dispute on `window`: its deciding slot and values
    /// (spec §7.4). A node compares its own deciding readings with this before sending any
    /// (spec §6.6). Nothing is present when no dispute is open on `window`.
    function evidenceOf(uint32 window, uint256 meter)
        external
        view
        returns (bool present, uint64 slot, uint64 produced, uint64 consumed)
    {
        DisputeState memory d = dispute;
        if (!d.open || d.window != window) return (false, 0, 0, 0);
        uint256 e = evidenceMeter[keccak256(abi.encode(d.nonce, meter))];
        return (e != 0, uint64(e >> 128), uint64(e >> 64), uint64(e));
    }
}
