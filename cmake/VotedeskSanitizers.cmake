# Instrumented builds, each in its own build folder (the Makefile drives them in `make test`):
#
#   -DVOTEDESK_SANITIZE=address,undefined   everything under ASan + UBSan (the unit and
#                                           integration tests run there)
#   -DVOTEDESK_SANITIZE=thread              everything under TSan (the pipeline tests run there)
#   -DVOTEDESK_FUZZ=ON (clang)              core and the libFuzzer harnesses of tests/fuzz,
#                                           with ASan + UBSan
#
# Qt itself is not instrumented. ASan and UBSan need nothing from it; for TSan see
# tests/tsan.supp (the Makefile's TSAN_OPTIONS and why one suppression is needed).
set(VOTEDESK_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined or thread (empty: none)")
option(VOTEDESK_FUZZ "Build core and the libFuzzer harnesses only (clang; ASan + UBSan)" OFF)

if(VOTEDESK_SANITIZE AND VOTEDESK_FUZZ)
    message(FATAL_ERROR "VOTEDESK_SANITIZE and VOTEDESK_FUZZ are separate builds")
endif()

if(VOTEDESK_SANITIZE)
    # Frame pointers and line tables make the reports readable; no recovery, so a finding
    # fails the test that triggered it instead of scrolling by.
    add_compile_options(-fsanitize=${VOTEDESK_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${VOTEDESK_SANITIZE})
endif()

if(VOTEDESK_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "VOTEDESK_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-14")
    endif()
    add_compile_options(-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=address,undefined)
endif()
