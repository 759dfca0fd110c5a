#pragma once
namespace akt::cli {
// Parses argv, runs the chosen command and returns the process exit code.
int run(int argc, char** argv);
} // namespace akt::cli
