# Tests of trainer/ math against the pure-Python float64 references in tests/fixtures/losses
# (written by scripts/make_loss_fixtures.py).
spct_add_test(test_losses unit test_losses.cpp)
spct_add_test(test_optimizer unit test_optimizer.cpp)
