#include "cli/app.hpp"

int main(int argc, char** argv) { return akt::cli::run(argc, argv); }
