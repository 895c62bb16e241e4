using Xunit;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// The tests that measure the whole test process's memory (working set, live heap). xunit runs a collection that
/// disables parallelization after the parallel ones, one test at a time, so no other test's records or broker are in
/// the figure: measured beside the rest of the suite, a parallel class's backlog made such bounds fail at random.
/// </summary>
[CollectionDefinition(nameof(ProcessMemoryCollection), DisableParallelization = true)]
public sealed class ProcessMemoryCollection;
