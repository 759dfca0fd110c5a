# Compile settings shared by every akt target (never by third-party code).
add_library(akt_settings INTERFACE)
target_compile_options(akt_settings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(AKT_WERROR)
  target_compile_options(akt_settings INTERFACE -Werror)
endif()
if(AKT_SANITIZE)
  target_compile_options(akt_settings INTERFACE -fsanitize=${AKT_SANITIZE} -fno-omit-frame-pointer
                                                -fno-sanitize-recover=all)
  target_link_options(akt_settings INTERFACE -fsanitize=${AKT_SANITIZE})
endif()
target_include_directories(akt_settings INTERFACE ${PROJECT_SOURCE_DIR})

find_program(AKT_CCACHE ccache)
if(AKT_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${AKT_CCACHE})
endif()
