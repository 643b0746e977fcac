# Maintainer tasks. `make leaderboards` regenerates every suite under leaderboards/ from the score store
# (scoring only what the store lacks), then `git add leaderboards && git commit`.
# CI runs `iqabench leaderboard --suite ci --check` (.ci/run) and fails when a committed number differs.

SHARED ?= ../shared
SUITES ?= $(basename $(notdir $(wildcard leaderboards/suites/*.toml)))
export IQABENCH_WEIGHTS_DIR ?= $(abspath $(SHARED)/weights)
export IQABENCH_OFFLINE ?= 1

.PHONY: leaderboards check-leaderboards

leaderboards:
	for suite in $(SUITES); do iqabench leaderboard --suite $$suite || exit $$?; done

check-leaderboards:
	for suite in $(SUITES); do iqabench leaderboard --suite $$suite --check || exit $$?; done
