//! The contracts' ABI, declared once in Solidity syntax for `alloy-sol-types`. The
//! declarations mirror `impl/contracts/src/*.sol`; a test decodes every compiled artifact's
//! ABI and checks that each function, error and event selector appears here.

#![allow(clippy::too_many_arguments)]

alloy_sol_types::sol! {
    #[derive(Debug, PartialEq, Eq)]
    interface IDiversity {
        enum Phase { Funding, Active, Closed, Aborted }
        enum Path { FastPath, Dispute, Partial }
        enum SlashReason { Equivocation, Inconsistency }

        struct Signature { bytes32 r; bytes32 s; uint8 v; }
        struct WindowResult {
            uint32 window;
            bytes32 prevHash;
            uint64[] produced;
            uint64[] consumed;
            bytes32 readingsRoot;
        }
        struct SignedResult { WindowResult result; Signature signature; }
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
        error PendingMismatch(bytes32 pending, bytes32 got);
        error ProofOutOfSequence(uint32 expectedOffset, uint32 expectedTotal, uint32 offset, uint32 total);
        error TransferFailed(address to, uint256 amount);
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

        event Deposited(uint256 prosumer, uint256 amount);
        event Bonded(uint256 node, uint256 amount);
        event Activated();
        event Aborted();
        event WindowPending(uint32 window, bytes32 hash, uint64 until);
        event WindowFinalized(uint32 window, bytes32 hash, Path path, uint256 dust);
        event DisputeOpened(uint32 window, address by, uint64 deadline, bytes32 challenged);
        event BondsSettled(uint32 window, uint8 loser, uint256 reimbursed, uint256 pooled);
        event EvidenceAdded(uint32 window, uint32 improved, uint32 ignored);
        event Slashed(uint256 node, address reporter, SlashReason reason, uint256 reward);
        event Closed();
        event Withdrawn(address to, uint256 amount);

        function deposit() external payable;
        function postBond() external payable;
        function abort() external payable;
        function submitWindow(WindowResult result, Signature[] signatures) external payable;
        function finalizePending(WindowResult result) external payable;
        function openDispute(uint32 window) external payable;
        function addEvidence(uint32 window, SignedReading[] readings) external payable;
        function finalizeDispute(uint32 window) external payable;
        function reportEquivocation(SignedResult first, SignedResult second) external payable;
        function reportInconsistency(SignedResult claim, SignedReading[] readings, uint32 offset, uint32 total) external payable;
        function close() external payable;
        function withdraw() external payable;

        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function lastHash() external view returns (bytes32);
        function balances(uint256 i) external view returns (uint128);
        function bonds(uint256 i) external view returns (uint128);
        function dust() external view returns (uint128);
        function slashPool() external view returns (uint128);
        function entitlement(address who) external view returns (uint256);
        function accountsTotal() external view returns (uint256);
        function held() external view returns (uint256);
        function status() external view returns (Phase phase, uint32 nextWindow, uint64 deposited, uint64 bonded, uint64 slashed);
        function resultDigest(WindowResult r) external view returns (bytes32);
        function pendingHash() external view returns (bytes32);
        function pendingUntil() external view returns (uint64);
        function lastFinalAt() external view returns (uint64);
        function dispute() external view returns (bool open, uint32 window, uint64 deadline, uint8 challenger, uint8 asserter, uint64 nonce, bytes32 challenged, bytes32 challengedTotals);
        function escapeTime(uint32 window) external view returns (uint64);
        function evidenceOf(uint32 window, uint256 meter) external view returns (bool present, uint64 slot, uint64 produced, uint64 consumed);
    }

    #[derive(Debug, PartialEq, Eq)]
    interface IReentrantWallet {
        function deposit() external payable;
        function withdraw() external;
        function reentries() external view returns (uint256);
        function innerError() external view returns (bytes);
    }

    #[derive(Debug, PartialEq, Eq)]
    interface IRda {
        event Reading(uint32 timestamp, uint32 wh);
        function log(uint32 timestamp, uint32 wh) external;
    }

    #[derive(Debug, PartialEq, Eq)]
    interface ISat {
        event Session(uint32 session, uint256[] packed);
        function logSession(uint32 session, uint256[] packed) external;
    }

    #[derive(Debug, PartialEq, Eq)]
    interface ISa {
        event Total(uint32 session, uint64 totalWh);
        function logTotal(uint32 session, uint64 totalWh) external;
    }
}
