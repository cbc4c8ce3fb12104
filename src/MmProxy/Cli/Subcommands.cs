using System.CommandLine;

namespace MmProxy.Cli;

/// <summary>Subcommands owned by other areas (inspect, demo), attached to the root command.</summary>
internal static class Subcommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
    }
}
