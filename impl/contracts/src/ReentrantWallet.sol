// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

interface IDiversityPayments {
    function deposit() external payable;
    function withdraw() external payable;
}

/// Test only: a prosumer wallet that is a contract and tries to withdraw twice by
/// re-entering `withdraw` from its `receive` (the classic re-entrancy attack). The escrow
/// zeroes the entitlement before paying, so the inner call fails with `NothingToWithdraw`;
/// this wallet swallows that failure so the outer payment completes, and records it.
contract ReentrantWallet {
    IDiversityPayments public immutable target;
    uint256 public reentries;
    bytes public innerError;

    constructor(IDiversityPayments t) {
        target = t;
    }

    function deposit() external payable {
        target.deposit{value: msg.value}();
    }

    function withdraw() external {
        target.withdraw();
    }

    receive() external payable {
        if (reentries == 0) {
            reentries = 1;
            try target.withdraw() {
                reentries = 2; // a second payment: the attack worked
            } catch (bytes memory reason) {
                innerError = reason;
            }
        }
    }
}
