// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

interface IDiversityDeposit {
    function deposit() external payable;
    function withdraw() external payable;
}

/// Test only: a prosumer wallet that is a contract and refuses every payment (its `receive`
/// reverts), so the escrow's transfer in `withdraw` fails. The escrow must then revert the
/// whole withdrawal with `TransferFailed`, keeping the entitlement (spec §7.8).
contract RefusingWallet {
    IDiversityDeposit public immutable target;

    constructor(IDiversityDeposit t) {
        target = t;
    }

    function deposit() external payable {
        target.deposit{value: msg.value}();
    }

    function withdraw() external {
        target.withdraw();
    }

    receive() external payable {
        revert("refused");
    }
}
