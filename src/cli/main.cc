#include <iostream>
#include "core/version.h"
int main() { std::cout << mm::kVersion << "\n"; return 0; }
