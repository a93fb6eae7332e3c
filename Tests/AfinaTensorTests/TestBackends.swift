// The backends every op test runs over (llama.cpp's test-backend-ops habit): a new backend,
// or a new kernel path of one, is added here and gets every check the day it lands.
import AfinaTensor

enum TestBackends {
    static let all: [any TrainingBackend] = [ReferenceBackend(), CPUBackend()]
}
