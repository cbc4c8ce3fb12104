using System.CommandLine;
using MmProxy.Demo;
using MmProxy.Inspect;
using MmProxy.Routing;

namespace MmProxy.Cli;

/// <summary>Subcommands owned by other areas (inspect, demo, check, routing, send), attached to the root command.</summary>
internal static class Subcommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(RoutingCommands.CreateCheckCommand());
        root.Subcommands.Add(RoutingCommands.CreateRoutingCommand());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
    }
}
