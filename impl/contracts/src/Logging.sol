// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

// The three ways of logging one prosumer's meter data on Ethereum compared by the reference
// paper (§5): RDA, one transaction per reading; SAT, one transaction per monthly session with
// the full trace; SA, one transaction per session with its total (what DIVERSITY does).
// Each comes in two variants: `Store` writes contract storage (readable by other contracts),
// `Event` emits a log (readable off chain only, much cheaper). A reading is a unix
// timestamp (uint32) and the energy of its interval in Wh (uint32). See docs/gas.md.

/// RDA, storage: every reading gets its own slot, keyed by its timestamp.
contract RdaStore {
    mapping(uint256 => uint256) public readings;

    function log(uint32 timestamp, uint32 wh) external {
        readings[timestamp] = wh;
    }
}

/// RDA, event: every reading is one log entry.
contract RdaEvent {
    event Reading(uint32 timestamp, uint32 wh);

    function log(uint32 timestamp, uint32 wh) external {
        emit Reading(timestamp, wh);
    }
}

/// SAT, storage: the session's readings, packed four (timestamp, Wh) pairs per 32-byte
/// word by the caller, are written to consecutive slots of the session.
contract SatStore {
    mapping(uint256 => uint256) public trace;
    mapping(uint256 => uint256) public words;

    function logSession(uint32 session, uint256[] calldata packed) external {
        uint256 base = uint256(session) << 32;
        for (uint256 i = 0; i < packed.length; i++) {
            trace[base | i] = packed[i];
        }
        words[session] = packed.length;
    }
}

/// SAT, event: the session's packed trace is one log entry.
contract SatEvent {
    event Session(uint32 session, uint256[] packed);

    function logSession(uint32 session, uint256[] calldata packed) external {
        emit Session(session, packed);
    }
}

/// SA, storage: one slot per session with its total.
contract SaStore {
    mapping(uint256 => uint256) public totals;

    function logTotal(uint32 session, uint64 totalWh) external {
        totals[session] = totalWh;
    }
}

/// SA, event: one log entry per session.
contract SaEvent {
    event Total(uint32 session, uint64 totalWh);

    function logTotal(uint32 session, uint64 totalWh) external {
        emit Total(session, totalWh);
    }
}
