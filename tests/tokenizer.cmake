# Tokenizer parity with HF (fixtures in tests/fixtures/tokenizers): `ctest -L tokenizer`.
spct_add_test(test_tokenizer tokenizer test_tokenizer.cpp)
spct_add_test(test_tokenizer_cli tokenizer test_tokenizer_cli.cpp)
