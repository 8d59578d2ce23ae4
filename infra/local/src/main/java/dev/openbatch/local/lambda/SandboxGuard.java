package dev.openbatch.local.lambda;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Refuses every AWS call made from a discarded {@link Sandbox}: in the cloud its environment is
 * frozen or gone, so no call it would make after its timeout reaches a service. Registered for
 * every AWS SDK client of the local runtime's JVM through the SDK's global interceptor list
 * ({@code software/amazon/awssdk/global/handlers/execution.interceptors}); a call from a live
 * sandbox, or from no sandbox, passes untouched.
 */
public final class SandboxGuard implements ExecutionInterceptor {

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        refuseWhenDiscarded();
    }

    /** Again before each attempt: a call that began before the timeout must not land after it. */
    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        refuseWhenDiscarded();
    }

    private static void refuseWhenDiscarded() {
        Sandbox sandbox = Sandbox.current();
        if (sandbox != null && sandbox.discarded()) {
            throw SdkClientException.create(
                    sandbox + " was discarded at its function's timeout: its calls reach nothing");
        }
    }
}
