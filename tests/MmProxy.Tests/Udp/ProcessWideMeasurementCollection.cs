namespace MmProxy.Tests.Udp;

/// <summary>
/// Tests that measure the whole process (allocated bytes) run alone: other test classes running in
/// parallel would be counted too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurementCollection
{
    public const string Name = "Process-wide measurements (not parallel)";
}
