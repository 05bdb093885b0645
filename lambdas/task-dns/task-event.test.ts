import { TASK_ARN, NETWORK_INTERFACE_ID, taskStateChange } from './task-event.fixture.js';
import { TaskEventError, runningTaskOf } from './task-event.js';

describe('runningTaskOf', () => {
  it('reads the task and its network interface from a running task event', () => {
    expect(runningTaskOf(taskStateChange('RUNNING', 'RUNNING'))).toEqual({ taskArn: TASK_ARN, networkInterfaceId: NETWORK_INTERFACE_ID });
  });

  it.each([
    ['PROVISIONING', 'RUNNING'],
    ['PENDING', 'RUNNING'],
    // Still running but told to stop (a deployment replacing it): its address is about to go away.
    ['RUNNING', 'STOPPED'],
    ['DEPROVISIONING', 'STOPPED'],
    ['STOPPED', 'STOPPED'],
  ])('ignores a task %s with desired status %s', (lastStatus, desiredStatus) => {
    expect(runningTaskOf(taskStateChange(lastStatus, desiredStatus))).toBeUndefined();
  });

  it('refuses a running task without a network interface, naming the task', () => {
    expect(() => runningTaskOf(taskStateChange('RUNNING', 'RUNNING', null))).toThrow(
      new TaskEventError(`running task ${TASK_ARN} has no network interface (not awsvpc?)`, TASK_ARN),
    );
  });

  it('refuses an event that is not a task state change', () => {
    const serviceEvent = { ...taskStateChange('RUNNING', 'RUNNING'), 'detail-type': 'ECS Service Action' };
    expect(() => runningTaskOf(serviceEvent)).toThrow(/^not an ECS task state change: detail-type/);
    expect(() => runningTaskOf({ 'detail-type': 'ECS Task State Change', detail: {} })).toThrow(/detail\.taskArn/);
  });
});
