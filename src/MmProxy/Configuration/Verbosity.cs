namespace MmProxy.Configuration;

/// <summary>go-mmproxy's <c>-v</c> levels.</summary>
internal enum Verbosity
{
    /// <summary>Startup, shutdown and fatal errors only.</summary>
    Quiet = 0,

    /// <summary>Also errors of individual connections.</summary>
    Errors = 1,

    /// <summary>Also every state change of individual connections.</summary>
    StateChanges = 2,
}
