# Included from tests/unit/CMakeLists.txt (so it is part of every MEDCHAIN_BUILD_TESTS build):
# each libFuzzer target is also built as <target>_replay, without libFuzzer, with a main()
# (replay_main.c) that runs every file of the checked-in seed corpus through it once, and
# registered as the test fuzz_replay_<target>.
set(MEDCHAIN_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(MEDCHAIN_FUZZ_TARGETS fuzz_tx fuzz_batch fuzz_block fuzz_bodies fuzz_fhir)

foreach(t ${MEDCHAIN_FUZZ_TARGETS})
  add_executable(${t}_replay ${MEDCHAIN_FUZZ_DIR}/${t}.c ${MEDCHAIN_FUZZ_DIR}/fuzz_common.c
                              ${MEDCHAIN_FUZZ_DIR}/replay_main.c)
  target_link_libraries(${t}_replay PRIVATE medchain)
  add_test(NAME fuzz_replay_${t} COMMAND ${t}_replay ${MEDCHAIN_FUZZ_DIR}/corpus/${t})
  set_tests_properties(fuzz_replay_${t} PROPERTIES TIMEOUT 120 LABELS fuzz)
endforeach()

# The generator of the seed corpus (run by hand: fuzz_make_corpus <fuzz/corpus>); it shares the
# unit tests' fixtures, so it is built only here. The corpus must match what it writes.
add_executable(fuzz_make_corpus ${MEDCHAIN_FUZZ_DIR}/make_corpus.c)
target_link_libraries(fuzz_make_corpus PRIVATE medchain_testfixture)
add_test(NAME fuzz_corpus_fresh
         COMMAND ${CMAKE_COMMAND} -DGEN=$<TARGET_FILE:fuzz_make_corpus> -DCORPUS=${MEDCHAIN_FUZZ_DIR}/corpus
                 -DOUT=${CMAKE_CURRENT_BINARY_DIR}/corpus_check -P ${MEDCHAIN_FUZZ_DIR}/check_corpus.cmake)
set_tests_properties(fuzz_corpus_fresh PROPERTIES TIMEOUT 60 LABELS fuzz)
