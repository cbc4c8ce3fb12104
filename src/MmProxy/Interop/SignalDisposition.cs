namespace MmProxy.Interop;

/// <summary>
/// An ignored signal stays ignored through exec: `nohup mmproxy` starts with SIGHUP ignored, and the
/// runtime then delivers it to no registration. A daemon whose reload is SIGHUP takes it back first.
/// </summary>
internal static class SignalDisposition
{
    public const int SigHup = 1;

    private const nint Default = 0;

    public static void RestoreDefault(int signal) => _ = LibC.Signal(signal, Default);
}
