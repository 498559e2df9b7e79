# One INTERFACE target every votedesk target links: language level, warnings and the Qt
# defines that keep string and byte handling explicit (as qBittorrent does).
add_library(votedesk_options INTERFACE)
target_compile_features(votedesk_options INTERFACE cxx_std_20)

option(VOTEDESK_WERROR "Treat compiler warnings as errors (CI builds with it on)" ON)

target_compile_options(votedesk_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                  -Wcast-align -Woverloaded-virtual)
if(VOTEDESK_WERROR)
    target_compile_options(votedesk_options INTERFACE -Werror)
endif()

target_compile_definitions(votedesk_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_NO_FOREACH
    QT_NO_KEYWORDS
    QT_USE_QSTRINGBUILDER
    QT_STRICT_ITERATORS
    QT_DISABLE_DEPRECATED_BEFORE=0x060400)
