using System.CommandLine;
using MmProxy.Configuration;
using MmProxy.Hosting;

namespace MmProxy.Cli;

/// <summary>
/// Builds the root command (the proxy) with its subcommands, parses Go-style arguments and runs.
/// Usage errors exit with 2, as Go's flag package does.
/// </summary>
internal static class CommandLineApp
{
    public static RootCommand CreateRootCommand(ProxyCommandLine options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = new RootCommand(
            "mmproxy: accepts connections that start with a PROXY protocol header (v1 or v2), strips the header " +
            "and connects to the target from the original client's address (IP_TRANSPARENT). " +
            "A drop-in for go-mmproxy: -flag value, --flag value and -flag=value all work.");
        options.AddTo(root);
        var operations = new OperationsCommandLine();
        operations.AddTo(root);
        var config = new ConfigCommandLine();
        config.AddTo(root, options);
        Subcommands.AddTo(root);
        root.SetAction((parseResult, cancellationToken) =>
        {
            ProxyOptions proxy = options.ToProxyOptions(parseResult);
            IConfigSource source = parseResult.GetValue(config.Config) is { Length: > 0 } file
                ? new FileConfigSource(file)
                : new FlagsConfigSource(proxy);
            return ProxyHost.RunAsync(source, proxy.Verbosity, proxy.LogFormat, operations.ToOperationsOptions(parseResult), cancellationToken);
        });
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ProxyCommandLine();
        RootCommand root = CreateRootCommand(options);
        ParseResult result = Parse(root, args);
        error ??= Console.Error;
        if (result.Errors.Count > 0)
        {
            foreach (var parseError in result.Errors)
            {
                await error.WriteLineAsync("mmproxy: " + parseError.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'mmproxy --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            // Signals are ours (Hosting): SIGTERM must close listeners and exit 0, not be delayed.
            ProcessTerminationTimeout = null,
            Output = output ?? Console.Out,
            Error = error,
        };
        return await result.InvokeAsync(invocation).ConfigureAwait(false);
    }

    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        string[] normalized = new GoFlagNormalizer(root).Normalize(args);
        // No response files: "@x" must stay a literal value for a drop-in replacement.
        var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };
        return root.Parse(normalized, configuration);
    }
}
