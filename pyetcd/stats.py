"""StoreStats: the operation counters ``/v2/stats/store`` reports (etcd ``store/stats.go``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class StoreStats:
    gets_success: int = 0
    gets_fail: int = 0
    sets_success: int = 0
    sets_fail: int = 0
    delete_success: int = 0
    delete_fail: int = 0
    update_success: int = 0
    update_fail: int = 0
    create_success: int = 0
    create_fail: int = 0
    cas_success: int = 0
    cas_fail: int = 0
    cad_success: int = 0
    cad_fail: int = 0
    expire_count: int = 0

    def to_json(self, watchers: int) -> dict[str, int]:
        """The wire form, in etcd's field order."""
        return {
            "getsSuccess": self.gets_success, "getsFail": self.gets_fail,
            "setsSuccess": self.sets_success, "setsFail": self.sets_fail,
            "deleteSuccess": self.delete_success, "deleteFail": self.delete_fail,
            "updateSuccess": self.update_success, "updateFail": self.update_fail,
            "createSuccess": self.create_success, "createFail": self.create_fail,
            "compareAndSwapSuccess": self.cas_success, "compareAndSwapFail": self.cas_fail,
            "compareAndDeleteSuccess": self.cad_success,
            "compareAndDeleteFail": self.cad_fail,
            "expireCount": self.expire_count, "watchers": watchers,
        }
